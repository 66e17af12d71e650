"""Reference data the district is built from: food items, dishes, fee items, procurement categories, places."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class FoodItem:
    code: str
    name: str
    category: str  # contracts' food_category
    unit: str
    base_price_fen: int  # district reference price per unit
    per_meal: Decimal  # units consumed per diner and meal
    staple: bool  # bought in bulk for several days, counted as 大宗食材


FOOD_ITEMS = (
    FoodItem("FD0101", "大米", "grain", "kg", 520, Decimal("0.120"), True),
    FoodItem("FD0102", "面粉", "grain", "kg", 450, Decimal("0.020"), True),
    FoodItem("FD0201", "菜籽油", "oil", "L", 1600, Decimal("0.010"), True),
    FoodItem("FD0301", "猪肉", "meat", "kg", 2600, Decimal("0.050"), True),
    FoodItem("FD0401", "鸡肉", "poultry", "kg", 1800, Decimal("0.030"), False),
    FoodItem("FD0501", "草鱼", "aquatic", "kg", 1500, Decimal("0.020"), False),
    FoodItem("FD0601", "鸡蛋", "egg", "kg", 1100, Decimal("0.040"), False),
    FoodItem("FD0701", "纯牛奶(250mL)", "dairy", "box", 250, Decimal("0.300"), False),
    FoodItem("FD0801", "大白菜", "vegetable", "kg", 300, Decimal("0.080"), False),
    FoodItem("FD0802", "土豆", "vegetable", "kg", 350, Decimal("0.060"), False),
    FoodItem("FD0803", "青椒", "vegetable", "kg", 600, Decimal("0.030"), False),
    FoodItem("FD0901", "苹果", "fruit", "kg", 800, Decimal("0.050"), False),
    FoodItem("FD1001", "豆腐", "soy", "kg", 500, Decimal("0.030"), False),
    FoodItem("FD1101", "食盐", "condiment", "kg", 400, Decimal("0.003"), True),
    FoodItem("FD1301", "冻鸡腿", "frozen", "kg", 1600, Decimal("0.020"), True),
)

DISHES = (
    "回锅肉", "土豆烧鸡", "番茄炒蛋", "清炒白菜", "青椒肉丝", "麻婆豆腐", "红烧鱼块", "酸辣土豆丝",
    "冬瓜排骨汤", "紫菜蛋花汤", "蒜蓉油麦菜", "宫保鸡丁", "白米饭", "馒头", "水果",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class FeeItem:
    code: str
    name: str
    category: str  # contracts' fee_category
    amount_fen: int
    document: str | None
    voluntary: bool


# Per term, approved by the price bureau (渝价〔2013〕71号 for dormitories); what a school may charge.
DORMITORY_FEE = FeeItem(
    "FEE-ZSF", "住宿费", "accommodation", 4000, "渝价〔2013〕71号", voluntary=False
)
AFTER_SCHOOL_FEE = FeeItem(
    "FEE-KHFW", "课后服务费", "service", 60000, "渝发改价格〔2022〕1047号", voluntary=True
)
HIGH_SCHOOL_TUITION = FeeItem(
    "FEE-GZXF", "普通高中学费", "tuition", 80000, "渝发改价格〔2021〕1203号", voluntary=False
)
# Fees a school may not charge: tuition in compulsory education, an item nobody approved, a forbidden item
# (教财〔2010〕4号: drinking water, here dressed up with the school's own "approval"), commercial insurance.
COMPULSORY_TUITION = FeeItem("FEE-XF", "学费", "tuition", 50000, "校发〔2025〕1号", voluntary=False)
UNAPPROVED_FEE = FeeItem("FEE-BJF", "班级活动费", "other", 20000, None, voluntary=False)
DRINKING_WATER_FEE = FeeItem(
    "FEE-YSF", "饮水费", "service", 3000, "校发〔2025〕8号", voluntary=False
)
STUDENT_INSURANCE = FeeItem("FEE-XPX", "学生平安保险", "insurance", 10000, None, voluntary=True)


@dataclass(frozen=True, slots=True)
class ProcurementCategory:
    code: str  # 政府采购品目分类目录
    name: str
    main: str  # goods, services, works
    budget_project: str  # the budget line such purchases are paid from


PROCUREMENT_CATEGORIES = (
    ProcurementCategory("A02010104", "台式计算机", "goods", "信息化建设"),
    ProcurementCategory("A02010105", "便携式计算机", "goods", "信息化建设"),
    ProcurementCategory("A02021003", "交互式多媒体教学一体机", "goods", "教学设备购置"),
    ProcurementCategory("A05010100", "课桌椅", "goods", "教学设备购置"),
    ProcurementCategory("A05040101", "图书", "goods", "图书购置"),
    ProcurementCategory("A03120000", "体育器材", "goods", "教学设备购置"),
    ProcurementCategory("A02061807", "厨房设备", "goods", "食堂设备更新"),
    ProcurementCategory("C21040000", "物业管理服务", "services", "物业服务"),
    ProcurementCategory("C16050000", "安保服务", "services", "物业服务"),
    ProcurementCategory("C05010000", "设备维修保养服务", "services", "运行维护"),
    ProcurementCategory("B07010000", "校舍维修改造工程", "works", "校舍维修"),
)

TOWNS = (
    "李渡", "龙桥", "南沱", "珍溪", "百胜", "焦石", "马武", "蔺市", "新妙", "清溪", "白涛", "江北",
    "江东", "崇义", "荔枝", "敦仁", "罗云", "大顺", "增福", "同乐", "青羊", "石沱", "龙潭", "义和",
    "大木", "武陵山", "石和", "太和", "天台", "明家",
)  # fmt: skip
VENDOR_WORDS = (
    "鑫源",
    "佳禾",
    "瑞丰",
    "恒达",
    "宏图",
    "博远",
    "兴业",
    "华泰",
    "富民",
    "康润",
    "金穗",
    "天成",
    "绿源",
    "诚信",
    "新蜀",
)
AGENCY_NAMES = (
    "重庆涪州招标代理有限公司",
    "重庆市正信工程招标有限公司",
    "重庆华远项目管理咨询有限公司",
    "重庆天衡招标代理有限公司",
)

# Small purchases through the e-mall (电子卖场, 框架协议): goods and upkeep that schools buy every week.
EMALL_GOODS = (
    ProcurementCategory("A05040101", "图书", "goods", "图书购置"),
    ProcurementCategory("A03120000", "体育器材", "goods", "教学设备购置"),
    ProcurementCategory("A05010100", "课桌椅", "goods", "教学设备购置"),
    ProcurementCategory("A02061807", "厨房设备", "goods", "食堂设备更新"),
)
EMALL_UPKEEP = ProcurementCategory("C05010000", "设备维修保养服务", "services", "运行维护")
# What an e-mall supplier that sells everything (a heterogeneous supplier, R048) is awarded: one per 2-digit prefix.
EVERYTHING = (
    EMALL_GOODS[0],
    ProcurementCategory("B07010000", "校舍维修改造工程", "works", "校舍维修"),
    EMALL_UPKEEP,
    ProcurementCategory("C16050000", "安保服务", "services", "物业服务"),
    ProcurementCategory("C21040000", "物业管理服务", "services", "物业服务"),
)

BUDGET_PROJECT_CODES = {
    "信息化建设": "XXHJS",
    "教学设备购置": "JXSBGZ",
    "图书购置": "TSGZ",
    "食堂设备更新": "STSBGX",
    "物业服务": "WYFW",
    "运行维护": "YXWH",
    "校舍维修": "XSWX",
}

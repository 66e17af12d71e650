"""The README.txt every audit bundle carries: how to check it by hand, without Qinglian."""

README_TEXT = """\
清廉 Qinglian 审计包 / Audit bundle
==================================

自动校验 / Automatic check (no database, no Kafka needed):

    qinglian audit verify BUNDLE.zip        (或解压后的目录 / or the unpacked folder)

退出码 0 表示全部校验通过；否则逐项列出失败之处。
Exit status 0 means every check holds; otherwise each failure is named.


一、手工校验 / Checking by hand
-------------------------------

1. 文件完整 / Files are intact

       unzip BUNDLE.zip -d bundle && cd bundle
       sha256sum -c SHA256SUMS

   manifest.json 的 "files" 列出除 manifest.json、manifest.sig、SHA256SUMS 之外每个文件的
   sha256，应与 SHA256SUMS 一致。
   manifest.json's "files" lists the sha256 of every file except manifest.json, manifest.sig
   and SHA256SUMS; it must agree with SHA256SUMS.

2. 签名（如有）/ Signature (when present)

   manifest.sig 为 "hmac-sha256:<hex>"：用导出密钥（QINGLIAN_AUDIT_EXPORT_KEY）对 manifest.json
   计算 HMAC-SHA256。只有持有该密钥者能核验签名。
   manifest.sig holds "hmac-sha256:<hex>", the HMAC-SHA256 of manifest.json under the export key
   (QINGLIAN_AUDIT_EXPORT_KEY); only a holder of that key can check it:

       openssl dgst -sha256 -hmac "$QINGLIAN_AUDIT_EXPORT_KEY" manifest.json

3. 处置记录哈希链 / The history's hash chain (history.jsonl, one entry per line, in order)

   对每一行：去掉 "hash" 字段，其余内容按键排序、无空格、UTF-8（不转义中文）序列化为 JSON，
   其 sha256 必须等于该行的 "hash"。第一行的 "prev_hash" 为 64 个 0，之后每行的 "prev_hash"
   等于上一行的 "hash"，"seq" 从 1 连续递增。最后一行的 "hash" 必须等于
   manifest.json 中 case.chain_head，行数必须等于 case.history_count（否则记录被截断）。
   For each line: drop the "hash" field, serialise the rest as JSON with sorted keys, no
   spaces, UTF-8 (non-ASCII not escaped); its sha256 must equal the line's "hash". The first
   line's "prev_hash" is 64 zeros, every later "prev_hash" is the previous line's "hash", and
   "seq" counts 1, 2, 3, ... The last "hash" must equal case.chain_head in manifest.json and
   the number of lines must equal case.history_count (fewer means entries were cut off).

       python3 - <<'EOF'
       import hashlib, json
       previous, count = "0" * 64, 0
       for count, line in enumerate(open("history.jsonl", encoding="utf-8"), start=1):
           entry = json.loads(line)
           stated = entry.pop("hash")
           body = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
           assert entry["seq"] == count and entry["prev_hash"] == previous, count
           assert hashlib.sha256(body.encode()).hexdigest() == stated, count
           previous = stated
       case = json.load(open("manifest.json", encoding="utf-8"))["case"]
       assert (previous, count) == (case["chain_head"], case["history_count"])
       print("chain intact:", count, "entries")
       EOF

   链头（chain_head）也可与处置系统中该案件的当前链头比对：一致即说明导出后未被改写。
   The chain head can also be compared with the case's current head in the live system.

4. 原始证据 / Raw evidence (evidence.jsonl)

   每行是一条原始事件："value" 是 Kafka 中记录值的原文，其 sha256 为 "value_sha256"，
   "topic"/"partition"/"offset" 指明它在 Kafka 中的位置。alerts.jsonl 中每条预警的
   "evidence_event_ids" 必须都出现在 evidence.jsonl 中，或列在 manifest.json 的
   evidence.missing 中（超出保留期或未找到的证据如实列出，绝不静默略过）。
   Each line is one raw event: "value" is the Kafka record value's exact text, "value_sha256"
   its sha256, and "topic"/"partition"/"offset" say where it was read. Every id in an alert's
   "evidence_event_ids" (alerts.jsonl) must appear in evidence.jsonl or be listed under
   evidence.missing in manifest.json (evidence past retention or not found is listed, never
   skipped silently).

5. 规则配置与附件 / Rules configuration and attachments

   manifest.json 的 rules_config_hashes 是各预警产生时生效的规则配置哈希。
   attachments 列出处置记录中每个附件的名称与 sha256；随包附带的文件位于
   attachments/<sha256>，其 sha256 即文件名。
   rules_config_hashes are the rules configuration hashes the alerts were raised under.
   "attachments" lists every file attached in the history by name and sha256; the files
   included are attachments/<sha256>, named by their own sha256.
"""

"""The local stack started by `qinglian stack up`: a real Apache Kafka broker in
KRaft mode (jars from Maven Central) and a project-local PostgreSQL cluster
(Debian's packages). Every process it starts is tracked by a PID file under the
state directory, so `down` stops exactly those and nothing else."""

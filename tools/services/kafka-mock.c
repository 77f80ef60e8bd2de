/*
 * kafka-mock: a Kafka wire-protocol peer for tests and local runs, built on librdkafka's
 * mock cluster (librdkafka/rdkafka_mock.h). Not Apache Kafka: see tools/services/kafka.ts.
 *
 * Usage: kafka-mock <brokers> [<topic>:<partitions>]...
 *
 * Starts <brokers> mock brokers on 127.0.0.1 (ids 1..N), creates the given topics, prints
 * one line `bootstrap <host:port,...>` on stdout, then reads commands from stdin, one per
 * line, and answers each with `ok` or `error <reason>`:
 *   down <brokerId>               disconnect a broker and refuse new connections (-1: all)
 *   up <brokerId>                 accept connections again (-1: all)
 *   topic <name> <partitions>     create a topic
 * Exits on EOF on stdin (so it dies with its parent) or on SIGTERM / SIGINT.
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_int(const char *text, long min, long max, int *out) {
  char *end = NULL;
  long value = strtol(text, &end, 10);
  if (end == text || *end != '\0' || value < min || value > max) return -1;
  *out = (int)value;
  return 0;
}

/* Creates `name` with `partitions` partitions (replication factor 1). */
static rd_kafka_resp_err_t create_topic(rd_kafka_mock_cluster_t *cluster, const char *name,
                                        int partitions) {
  return rd_kafka_mock_topic_create(cluster, name, partitions, 1);
}

/* Parses and creates a `<topic>:<partitions>` argument; returns 0 on success. */
static int create_topic_arg(rd_kafka_mock_cluster_t *cluster, const char *arg) {
  char name[256];
  const char *colon = strrchr(arg, ':');
  int partitions = 0;
  size_t len = colon ? (size_t)(colon - arg) : 0;
  if (!colon || len == 0 || len >= sizeof(name) || parse_int(colon + 1, 1, 10000, &partitions)) {
    fprintf(stderr, "kafka-mock: bad topic argument '%s' (expected name:partitions)\n", arg);
    return -1;
  }
  memcpy(name, arg, len);
  name[len] = '\0';
  rd_kafka_resp_err_t err = create_topic(cluster, name, partitions);
  if (err) {
    fprintf(stderr, "kafka-mock: creating %s: %s\n", name, rd_kafka_err2str(err));
    return -1;
  }
  return 0;
}

/* Runs one stdin command and prints its answer. */
static void run_command(rd_kafka_mock_cluster_t *cluster, char *line) {
  char *verb = strtok(line, " \t\r\n");
  char *arg1 = strtok(NULL, " \t\r\n");
  char *arg2 = strtok(NULL, " \t\r\n");
  int number = 0;
  rd_kafka_resp_err_t err;

  if (!verb) {
    printf("error empty command\n");
  } else if ((!strcmp(verb, "down") || !strcmp(verb, "up")) && arg1 && !arg2 &&
             !parse_int(arg1, -1, 1000000, &number)) {
    err = !strcmp(verb, "down") ? rd_kafka_mock_broker_set_down(cluster, number)
                                : rd_kafka_mock_broker_set_up(cluster, number);
    if (err)
      printf("error %s\n", rd_kafka_err2str(err));
    else
      printf("ok\n");
  } else if (!strcmp(verb, "topic") && arg1 && arg2 && !parse_int(arg2, 1, 10000, &number)) {
    err = create_topic(cluster, arg1, number);
    if (err)
      printf("error %s\n", rd_kafka_err2str(err));
    else
      printf("ok\n");
  } else {
    printf("error unknown command (down <id> | up <id> | topic <name> <partitions>)\n");
  }
  fflush(stdout);
}

int main(int argc, char **argv) {
  char errstr[512];
  int brokers = 0;

  if (argc < 2 || parse_int(argv[1], 1, 16, &brokers)) {
    fprintf(stderr, "usage: kafka-mock <brokers 1..16> [<topic>:<partitions>]...\n");
    return 2;
  }

  /* The mock cluster needs a client handle for its bookkeeping; this one never connects. */
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "kafka-mock: %s\n", errstr);
    return 1;
  }
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (!rk) {
    fprintf(stderr, "kafka-mock: rd_kafka_new: %s\n", errstr);
    return 1;
  }

  rd_kafka_mock_cluster_t *cluster = rd_kafka_mock_cluster_new(rk, brokers);
  if (!cluster) {
    fprintf(stderr, "kafka-mock: could not create the mock cluster\n");
    rd_kafka_destroy(rk);
    return 1;
  }

  for (int i = 2; i < argc; i++) {
    if (create_topic_arg(cluster, argv[i])) {
      rd_kafka_mock_cluster_destroy(cluster);
      rd_kafka_destroy(rk);
      return 2;
    }
  }

  printf("bootstrap %s\n", rd_kafka_mock_cluster_bootstraps(cluster));
  fflush(stdout);

  char line[1024];
  while (fgets(line, sizeof(line), stdin)) run_command(cluster, line);

  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(rk);
  return 0;
}

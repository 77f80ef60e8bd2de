/*
 * ClickHouse's HTTP interface for tests and local runs, without a clickhouse-server
 * binary: clickhouse-local as built into libchdb (the engine the chdb npm package ships)
 * runs `SYSTEM START LISTEN HTTP`, then a query that reads stdin to its end, so the
 * listener stays up until stdin is closed. Queries arriving over HTTP run in the
 * listener's own threads meanwhile. ClickHouse cannot open a socket as /dev/stdin (Node
 * gives a child one), so a thread copies stdin's end-of-file into a pipe that it can.
 *
 * usage: clickhouse-server <path to libchdb.so> <data directory> <port>
 * Prints nothing on success; on failure (say, the port is taken) prints ClickHouse's
 * error to stderr and exits with status 1. When its stdin ends, it removes the data
 * directory: a throw-away one, left behind otherwise when the process that started the
 * server dies without stopping it.
 */
#define _XOPEN_SOURCE 700
#include <dlfcn.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

typedef struct chdb_result chdb_result;
typedef chdb_result *(*query_cmdline_fn)(int, char **);
typedef const char *(*result_error_fn)(chdb_result *);

static int original_stdin = -1;
static int pipe_in = -1;

/* Drains the original stdin; at its end closes the pipe that the query reads. */
static void *forward_end_of_input(void *unused) {
  (void)unused;
  char buffer[256];
  while (read(original_stdin, buffer, sizeof buffer) > 0) {
  }
  close(pipe_in);
  return NULL;
}

/* nftw callback: removes one entry, carrying on past those it cannot remove. */
static int remove_entry(const char *path, const struct stat *info, int type, struct FTW *walk) {
  (void)info;
  (void)type;
  (void)walk;
  remove(path);
  return 0;
}

/* Makes fd 0 a pipe that reaches end-of-file when the original stdin does. */
static int stdin_as_pipe(void) {
  int ends[2];
  pthread_t thread;
  if (pipe(ends) != 0) return -1;
  original_stdin = dup(0);
  if (original_stdin < 0 || dup2(ends[0], 0) < 0) return -1;
  close(ends[0]);
  pipe_in = ends[1];
  return pthread_create(&thread, NULL, forward_end_of_input, NULL) == 0 ? 0 : -1;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s <libchdb.so> <data directory> <port>\n", argv[0]);
    return 2;
  }
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL);
  if (!lib) {
    fprintf(stderr, "cannot load %s: %s\n", argv[1], dlerror());
    return 1;
  }
  query_cmdline_fn query_cmdline = (query_cmdline_fn)dlsym(lib, "chdb_query_cmdline");
  result_error_fn result_error = (result_error_fn)dlsym(lib, "chdb_result_error");
  if (!query_cmdline || !result_error) {
    fprintf(stderr, "%s lacks chdb_query_cmdline or chdb_result_error\n", argv[1]);
    return 1;
  }

  if (stdin_as_pipe() != 0) {
    perror("cannot set up stdin");
    return 1;
  }

  char path[4096], port[64];
  snprintf(path, sizeof path, "--path=%s", argv[2]);
  snprintf(port, sizeof port, "--http_port=%s", argv[3]);
  char *args[] = {
      "clickhouse",
      "--multiquery",
      "--listen_host=127.0.0.1",
      port,
      path,
      "--query=SYSTEM START LISTEN HTTP; "
      "SELECT count() FROM file('/dev/stdin', 'LineAsString') FORMAT Null",
      NULL,
  };
  chdb_result *result = query_cmdline(6, args);
  const char *error = result ? result_error(result) : "no result";
  int failed = error && *error;
  if (failed) fprintf(stderr, "%s\n", error);
  nftw(argv[2], remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  return failed ? 1 : 0;
}

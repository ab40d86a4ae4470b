/* The `sluice` command's subcommands. Each is a client of include/sluice.h
 * only, gets argv with its own name in argv[0], prints its own --help, and
 * returns the process exit code (0 ok, 1 runtime failure, 2 usage or query
 * error). */
#ifndef SL_CLI_H
#define SL_CLI_H

int cmd_run(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_test(int argc, char **argv);
int cmd_gen(int argc, char **argv);          /* dispatches gen <kind> */
int cmd_gen_transactions(int argc, char **argv);
int cmd_gen_topup(int argc, char **argv);
int cmd_gen_nexmark(int argc, char **argv);
int cmd_broker(int argc, char **argv);
int cmd_produce(int argc, char **argv);
int cmd_consume(int argc, char **argv);

#endif

/*
 * rusage - run a command; report its wall time and peak RSS.
 *   rusage -o FILE cmd [args...]
 * Writes "elapsed=SECONDS maxrss_kb=KB cpu=SECONDS status=N" to FILE (wall
 * time from just before fork to just after wait4; ru_maxrss of the child,
 * which the kernel takes as the largest of the child and its reaped
 * descendants; cpu = user + system time of the child and those descendants)
 * and exits with the command's status (128+signal if killed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct rusage ru;
	FILE *out;
	pid_t pid;
	int st, code;

	if (argc < 4 || strcmp(argv[1], "-o") != 0) {
		fprintf(stderr, "usage: rusage -o FILE cmd [args...]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid == -1) {
		perror("rusage: fork");
		return 2;
	}
	if (pid == 0) {
		execvp(argv[3], argv + 3);
		perror(argv[3]);
		_exit(127);
	}
	if (wait4(pid, &st, 0, &ru) == -1) {
		perror("rusage: wait4");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	out = fopen(argv[2], "w");
	if (out == NULL) {
		perror(argv[2]);
		return 2;
	}
	fprintf(out, "elapsed=%.6f maxrss_kb=%ld cpu=%.6f status=%d\n",
	    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	    ru.ru_maxrss,
	    (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6, code);
	fclose(out);
	return code;
}

/* /proc/<pid> of the run's processes (tests/emu/test_emu_processes.py). "own": the process
 * reads /proc/<getpid()>/status's Pid and PPid lines and its cmdline, and readlink of
 * /proc/<getpid()>/exe ends in the program's name. "peer": a child opens its parent's
 * /proc/<getppid()>/cmdline, and its own /proc/<getpid()>/status. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char *path, const char *keys)
{
	char buf[4096];
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("%s: error\n", keys ? keys : "cmdline");
		return;
	}
	int n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	if (!keys) {
		for (int i = 0; i < n; i++)
			if (!buf[i])
				buf[i] = ' ';
		printf("cmdline: %s\n", buf);
		return;
	}
	for (char *line = strtok(buf, "\n"); line; line = strtok(0, "\n"))
		if (strncmp(line, "Pid:", 4) == 0 || strncmp(line, "PPid:", 5) == 0)
			printf("%s %s\n", strncmp(line, "Pid:", 4) == 0 ? "Pid" : "PPid",
			       atoi(line + 5) == (line[0] == 'P' && line[1] == 'i' ? getpid() : getppid())
			       ? "ok" : line);
}

int main(int argc, char **argv)
{
	char path[64], link[4096];
	setvbuf(stdout, 0, _IONBF, 0);
	if (argc > 1 && strcmp(argv[1], "peer") == 0) {
		pid_t c = fork();
		if (c == 0) {
			snprintf(path, sizeof path, "/proc/%d/cmdline", (int)getppid());
			show(path, 0);
			snprintf(path, sizeof path, "/proc/%d/status", (int)getpid());
			show(path, "status");
			fflush(stdout);
			_exit(0);
		}
		int st;
		waitpid(c, &st, 0);
		printf("child: %s %d\n", WIFEXITED(st) ? "exited" : "killed by", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		return 0;
	}
	snprintf(path, sizeof path, "/proc/%d/status", (int)getpid());
	show(path, "status");
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)getpid());
	show(path, 0);
	snprintf(path, sizeof path, "/proc/%d/exe", (int)getpid());
	int n = readlink(path, link, sizeof link - 1);
	link[n > 0 ? n : 0] = 0;
	printf("exe: %s\n", n > 0 && strstr(link, "procpeer") ? "ok" : link);
	return 0;
}

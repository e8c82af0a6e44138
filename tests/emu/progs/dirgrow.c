/* telldir/seekdir across entries created in between: seekdir goes back to the same entry,
 * the names there before are each listed once, and the new ones are listed where the file
 * system puts them (as many as the host's own listing shows: qemu-user passes its d_off
 * through). Prints counts only. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OLD 40
#define NEW 40

static void make(const char *dir, char kind, int i) {
  char path[256];
  snprintf(path, sizeof path, "%s/%c%02d", dir, kind, i);
  int fd = open(path, O_CREAT | O_WRONLY, 0644);
  if (fd >= 0) close(fd);
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "dirgrow.d";
  mkdir(dir, 0755);
  for (int i = 0; i < OLD; i++) make(dir, 'f', i);
  DIR *d = opendir(dir);
  if (!d) { perror("opendir"); return 1; }
  int seen_old[OLD] = {0}, seen_new[NEW] = {0};
  struct dirent *e;
  long at = -1;
  char after[256] = "";
  for (int n = 0; (e = readdir(d)); n++) {
    if (e->d_name[0] == 'f') seen_old[atoi(e->d_name + 1)]++;
    if (n == 12) {
      at = telldir(d);
      e = readdir(d);
      if (!e) break;
      strcpy(after, e->d_name);
      break;
    }
  }
  for (int i = 0; i < NEW; i++) make(dir, 'g', i);
  seekdir(d, at);
  e = readdir(d);
  printf("seekdir back to the same entry %d\n", e && !strcmp(e->d_name, after));
  for (; e; e = readdir(d)) {
    if (e->d_name[0] == 'f') seen_old[atoi(e->d_name + 1)]++;
    if (e->d_name[0] == 'g') seen_new[atoi(e->d_name + 1)]++;
  }
  int once = 0, twice = 0, news = 0;
  for (int i = 0; i < OLD; i++) once += seen_old[i] == 1, twice += seen_old[i] > 1;
  for (int i = 0; i < NEW; i++) news += seen_new[i];
  printf("old names listed once %d (more than once %d), new names listed %d\n", once, twice, news);
  rewinddir(d);
  int all = 0;
  while ((e = readdir(d))) all += e->d_name[0] != '.';
  printf("after rewinddir %d names\n", all);
  closedir(d);
  for (int i = 0; i < OLD + NEW; i++) {
    char path[256];
    snprintf(path, sizeof path, "%s/%c%02d", dir, i < OLD ? 'f' : 'g', i % OLD);
    unlink(path);
  }
  rmdir(dir);
  return 0;
}

/* Prints what Docker just did, in the spirit of Docker's own hello-world, without
 * claiming it came from Docker Hub: in the lab it came from the VM's own registry. */
#include <stdio.h>

int main(void) {
    fputs("\n"
          "Hello from Docker!\n"
          "This message shows that your installation appears to be working correctly.\n"
          "\n"
          "To generate this message, Docker took the following steps:\n"
          " 1. The Docker client contacted the Docker daemon.\n"
          " 2. The Docker daemon found the \"hello-world\" image in the lab's offline catalog\n"
          "    (its own registry inside this virtual machine; there is no internet here).\n"
          " 3. The Docker daemon created a new container from that image which runs the\n"
          "    executable that produced the output you are currently reading.\n"
          " 4. The Docker daemon streamed that output to the Docker client, which sent it\n"
          "    to your terminal.\n"
          "\n"
          "To try something more ambitious, you can run a Debian container with:\n"
          " $ docker run -it debian:bookworm bash\n"
          "\n", stdout);
    return 0;
}

// Every built-in Docker lesson, run for real in the guest: for each lesson the
// ready snapshot is restored, the lesson's lab.files are written, and each
// step's background script (if any), then its {{exec}} commands run in order (as the learner's Run buttons would
// type them), followed by the step's verify.sh, which must pass. Each verify.sh
// also runs once before its step's commands and must fail there, so the checks
// can fail. Outputs the lessons quote are asserted where listed below.
//
// Commands that need a terminal (-it), or that are typed inside such an
// interactive session, cannot run through the agent: ADAPT-style entries with
// `replace` give a non-interactive equivalent (and name the session commands
// it covers). Those, and the readiness waits (a learner waits for a server to
// start before calling it), are the only departures from the lesson text.
//
// Speed: one guest per lesson, two guests at a time, each in its own process
// (two cores). Each lesson runs start to end in the background; the tests
// below report its pages one by one as their results arrive.
import { afterAll, describe, expect, it } from 'vitest';
import type { Lesson } from '../../web/lessons/format.ts';
import { LessonShell, describeResult, loadLesson, markdownCommands, openGuestInChild, type ChildGuest } from './helpers/lesson-commands.ts';

interface Adapt {
  /** Run this instead (a non-interactive equivalent of an -it command). */
  replace?: string;
  /** Commands typed inside the interactive session that `replace` stands for; they are not run. */
  session?: string[];
  /** Polled before the command until it succeeds (a learner waits for a server to start). */
  waitFor?: string;
  waitMs?: number;
  /** Some commands in the block fail on purpose (e.g. to show a missing file). */
  mayFail?: boolean;
  /** The block's exit status; default 0. */
  exit?: number;
  /** What the lesson says the output shows (stdout and stderr together). */
  expect?: RegExp[];
  /** The same, for stdout alone (curl's progress meter goes to stderr when not on a terminal). */
  stdout?: RegExp[];
  timeoutMs?: number;
  /** The lesson says to run this only in some case (e.g. a step was skipped); it runs only when this command succeeds. */
  onlyIf?: string;
}

type LessonPlan = Record<string, Adapt>;

const MINUTE = 60_000;

const PLANS: Record<string, LessonPlan> = {
  'containers-101': {
    "docker --version\ndocker info | head -n 10\ndocker info --format '{{.ServerVersion}}'": {
      stdout: [/^Docker version 26\.1\.5\+dfsg1, build \w+\nClient:\n(.*\n){9}26\.1\.5\+dfsg1\n$/],
      expect: [/buildx: Docker Buildx/, /compose: Docker Compose/],
    },
    'cd /root/containers-101\ndocker build -t todo-api:v0.1 .': {
      expect: [/\[4\/5\] RUN pip install --no-cache-dir -r requirements\.txt/, /Successfully installed .*flask-2\.2\.2/i],
      timeoutMs: 5 * MINUTE,
    },
    'curl -X POST -H "Content-Type: application/json" \\\n     -d \'{"task":"learn K8s"}\' http://localhost:8080/todos\ncurl http://localhost:8080/todos': {
      waitFor: 'curl -sf http://localhost:8080/todos',
      stdout: [/^\{"result":"added"\}\n\["learn K8s"\]\n$/],
    },
    "ps -ef | grep -E 'containerd-shim|app.py' | grep -v grep": {
      expect: [/containerd-shim-runc-v2 -namespace moby/, /python app\.py/],
    },
    'docker logs todo': { waitFor: 'docker logs todo 2>&1 | grep -q "Running on http://127.0.0.1:8080"', expect: [/Running on http:\/\/127\.0\.0\.1:8080/] },
    'docker build -t todo-api:v0.2 .': {
      expect: [/#\d+ \[4\/5\] RUN pip install[^\n]*\n#\d+ CACHED/, /#\d+ \[5\/5\] COPY app\.py \.\n#\d+ DONE/],
      timeoutMs: 5 * MINUTE,
    },
    'curl -X POST -H "Content-Type: application/json" \\\n     -d \'{"task":"learn K8s"}\' http://localhost:8080/todos': {
      waitFor: 'curl -sf http://localhost:8080/todos',
      stdout: [/^\{"result":"added","total":1\}\n$/],
    },
    'docker image history todo-api:v0.2': {
      expect: [/COPY app\.py \. # buildkit/, /RUN \/bin\/sh -c pip install --no-cache-dir -r… +\d+(\.\d+)?MB/, /WORKDIR \/app +0B/],
    },
    "docker tag python:3.11-slim localhost:5000/library/python:3.11-slim\ndocker push localhost:5000/library/python:3.11-slim": {
      expect: [/Layer already exists/],
    },
    'docker push localhost:5000/todo-api:v0.1': {
      expect: [/Mounted from library\/python/, /Pushed/, /^v0\.1: digest: sha256:[0-9a-f]{64} size: \d+$/m],
      timeoutMs: 10 * MINUTE,
    },
    "docker ps -a --filter name=todo --format '{{.Names}} {{.Image}}'": { stdout: [/^todo todo-api:v0\.2\n$/] },
    // Only for a learner who skipped step 4; here todo runs v0.2, which the last step needs.
    'docker rm -f todo': { onlyIf: "docker ps -a --filter name=todo --format '{{.Image}}' | grep -qx 'todo-api:v0.1'" },
    'docker rmi localhost:5000/todo-api:v0.1 todo-api:v0.1': {
      expect: [/^Untagged: localhost:5000\/todo-api:v0\.1$/m, /^Untagged: todo-api:v0\.1$/m, /^Deleted: sha256:/m],
    },
    'docker pull localhost:5000/todo-api:v0.1\ndocker images --digests localhost:5000/todo-api': {
      expect: [/Already exists/, /^Digest: sha256:[0-9a-f]{64}$/m],
    },
    'docker exec -it $(docker ps -q --filter ancestor=todo-api:v0.2) sh': {
      replace: "docker exec $(docker ps -q --filter ancestor=todo-api:v0.2) sh -c 'pwd; ls'",
      session: ['ls', 'exit'],
      expect: [/^\/app\napp\.py\nrequirements\.txt\n$/],
    },
    'docker exec todo touch /tmp/scratch\ndocker diff todo': { expect: [/^C \/tmp\nA \/tmp\/scratch$/m] },
    "docker run --rm busybox sh -c 'mount | head -n 3'\ndocker run --rm --pid=host busybox ps -o pid,ppid,comm | grep -E 'PID|python|containerd-shim'\ndocker run --rm --network=host busybox netstat -tuln": {
      expect: [/^overlay on \/ type overlay \(.*lowerdir=.*upperdir=.*workdir=/m, /^\s*\d+\s+\d+\s+python$/m, /0\.0\.0\.0:8080 .*LISTEN/],
    },
    'docker run --rm --read-only --tmpfs /tmp busybox touch /test || echo "read-only root OK"\ndocker run --rm --cgroupns=private busybox cat /proc/self/cgroup': {
      expect: [/touch: \/test: Read-only file system/],
      stdout: [/^read-only root OK\n0::\/\n$/],
    },
  },
  'images-deep-dive': {
    'cd /root/images-deep-dive\ncat echo/Dockerfile\ndocker build -t myimage echo/': { timeoutMs: 5 * MINUTE },
    'docker run --rm myimage\ndocker run --rm myimage Goodbye': { stdout: [/^Hello, World!\nGoodbye\n$/] },
    'docker run --rm --entrypoint date myimage': { stdout: [/^\w{3} \w{3} +\d+ [\d:]+ UTC \d{4}\n$/] },
    'docker build -t flask-app:latest .\ndocker run -d --name flask -p 8080:8080 flask-app': { timeoutMs: 8 * MINUTE },
    'curl http://localhost:8080': { waitFor: 'curl -sf http://localhost:8080', stdout: [/^Hello from Docker!$/] },
    'docker run --rm flask-app -c "import os; print(os.environ[\'PORT\'])"': { stdout: [/^8080\n$/] },
    'docker run --rm -e PORT=9090 flask-app -c "import os; print(os.environ[\'PORT\'])"': { stdout: [/^9090\n$/] },
    'docker run --rm --entrypoint env flask-app': { stdout: [/^PORT=8080$/m, /^PYTHONUNBUFFERED=1$/m, /^HOSTNAME=[0-9a-f]{12}$/m] },
    'docker build -t flask-app:secure -f Dockerfile.secure .': { timeoutMs: 8 * MINUTE },
    'docker run --rm --entrypoint id flask-app:latest\ndocker run --rm --entrypoint id flask-app:secure': {
      stdout: [/^uid=0\(root\)[^\n]*\nuid=1000\(appuser\) gid=1000\(appuser\) groups=1000\(appuser\)\n$/],
    },
    'docker build -t site:multi .\ndocker build --target builder -t site:builder .\ndocker images site': {
      expect: [/\[builder 4\/4\] RUN python build_site\.py > index\.html\n#\d+ CACHED/],
      stdout: [/^site +multi +\w+ .* 2\.\d+MB$/m, /^site +builder +\w+ .* 148MB$/m],
      timeoutMs: 8 * MINUTE,
    },
    'docker run -d --name site -p 8081:8080 site:multi\ncurl http://localhost:8081': { stdout: [/Rendered by Python 3\.11\.2 in the builder stage\./] },
    'docker history flask-app': { stdout: [/COPY \. \. # buildkit/, /ENV PORT=8080 +0B/, /ENTRYPOINT \["python"\] +0B/] },
    "docker inspect flask-app --format '{{json .Config}}' | jq": { stdout: [/"PORT=8080"/, /"WorkingDir": "\/app"/, /"Entrypoint": \[\n\s+"python"\n\s+\]/, /"Cmd": \[\n\s+"app\.py"\n\s+\]/] },
    'docker run -d --name web nginx\nps -ef | grep nginx | grep -v grep\ndocker top web': { stdout: [/nginx: master process nginx -g daemon off;/] },
    "docker kill web\ndocker ps -a --filter name=web --format '{{.Names}}: {{.Status}}'": { stdout: [/^web\nweb: Exited \(137\) /] },
    'docker run --rm busybox sleep 5\necho "the container ended with status $?"': { stdout: [/^the container ended with status 0\n$/] },
  },
  'what-containers-are': {
    'docker info | grep "Storage Driver"\ndocker info | grep -i cgroup': {
      stdout: [/^ Storage Driver: overlay2$/m, /^ Cgroup Driver: cgroupfs$/m, /^ Cgroup Version: 2$/m, /^ {2}cgroupns$/m],
    },
    'docker history nginx:1.22': { stdout: [/ADD file:\S+ +75\.3MB/, /apt-get update .* +16\.4MB/, /EXPOSE 80 +0B/, /STOPSIGNAL SIGQUIT +0B/] },
    "docker image inspect --format '{{index .RootFS.Layers 0}}  {{index .RepoTags 0}}' debian:bookworm-slim nginx:1.22 python:3.11-slim redis:7.0": {
      stdout: [/^(sha256:[0-9a-f]{64}) {2}debian:\S+\n\1 {2}nginx:\S+\n\1 {2}python:\S+\n\1 {2}redis:\S+\n$/],
    },
    'docker system df\ndocker system df -v | head -n 14': { stdout: [/^Images +\d+ /m, /SHARED SIZE +UNIQUE SIZE/, /^nginx +1\.22 .* 75\.26MB /m] },
    "docker run --name cow debian:bookworm-slim sh -c 'echo \"changed\" >> /etc/motd; touch /root/new-file; rm /etc/issue'\ndocker diff cow": {
      stdout: [/^A \/root\/new-file$/m, /^C \/etc\/motd$/m, /^C \/etc$/m, /^C \/root$/m, /^D \/etc\/issue$/m],
    },
    "ls -l $(docker inspect cow --format '{{.GraphDriver.Data.UpperDir}}')/etc": { stdout: [/^total \d+\nc--------- +\d+ root root +0, +0 .* issue\n-rw-r--r-- .* motd\n$/] },
    'docker run --rm debian:bookworm-slim cat /etc/issue\ndocker run --rm debian:bookworm-slim ls /root/new-file': {
      exit: 2,
      mayFail: true,
      stdout: [/^Debian GNU\/Linux 12 \\n \\l\n/],
      expect: [/ls: cannot access '\/root\/new-file': No such file or directory/],
    },
    "docker create --name life nginx\ndocker ps -a --filter name=life --format '{{.Names}}: {{.Status}}'": { stdout: [/^life: Created$/m] },
    "docker start life\ndocker ps -a --filter name=life --format '{{.Names}}: {{.Status}}'": { stdout: [/^life: Up /m] },
    "docker stop life\ndocker ps -a --filter name=life --format '{{.Names}}: {{.Status}}'": { stdout: [/^life: Exited \(0\) /m] },
    "docker run -d --name stubborn busybox sleep 600\ntime docker stop stubborn\ndocker ps -a --filter name=stubborn --format '{{.Names}}: {{.Status}}'": {
      stdout: [/^stubborn: Exited \(137\) /m],
      expect: [/^real\s+0m(9|[1-2]\d)\.\d+s$/m],
    },
    "ps -ef | grep -E 'dockerd|containerd' | grep -v grep": { stdout: [/ \/\S*containerd\b/, / \/\S*dockerd\b/] },
    'docker info | grep -i runtime\ndocker run --name oci-runc --runtime runc busybox echo "started by runc"': {
      stdout: [/^ Default Runtime: crun$/m, /^ Runtimes: .*\brunc\b/m, /^started by runc$/m],
    },
    'docker pull nginx:latest': { stdout: [/^Digest: sha256:[0-9a-f]{64}$/m, /^Status: Image is up to date for nginx:latest$/m] },
    'docker images --digests nginx': { stdout: [/^nginx +1\.22 +(sha256:[0-9a-f]{64}) .*\nnginx +1\.22\.1 +\1 .*\nnginx +latest +\1 /m] },
    "digest=$(docker image inspect nginx:latest --format '{{index .RepoDigests 0}}' | cut -d@ -f2)\necho \"$digest\"\ndocker pull nginx@$digest": {
      stdout: [/^sha256:[0-9a-f]{64}\n/, /^Status: Image is up to date for nginx@sha256:[0-9a-f]{64}$/m],
    },
    'docker tag busybox:1.35 localhost:5000/myapp:v1.2.3\ndocker tag busybox:1.35 localhost:5000/myapp:latest\ndocker push localhost:5000/myapp:v1.2.3\ndocker push localhost:5000/myapp:latest': {
      stdout: [/^v1\.2\.3: digest: (sha256:[0-9a-f]{64}) size: \d+\n(.*\n)*latest: digest: \1 size: \d+$/m],
    },
    "docker inspect localhost:5000/myapp:v1.2.3 --format '{{json .RepoDigests}}'\ndigest=$(docker inspect localhost:5000/myapp:v1.2.3 --format '{{json .RepoDigests}}' | grep -o 'myapp@sha256:[0-9a-f]*' | cut -d@ -f2)\necho \"$digest\"": {
      // The catalog's digest (uncompressed layers) and the push's (gzip) differ; the kept one is the push's.
      stdout: [/^\[.*"busybox@(sha256:[0-9a-f]{64})".*"localhost:5000\/myapp@(?!\1)sha256:[0-9a-f]{64}".*\]\n/, /"localhost:5000\/myapp@(sha256:[0-9a-f]{64})"[^\n]*\n\1\n$/],
    },
    'docker tag hello-world localhost:5000/myapp:latest\ndocker push localhost:5000/myapp:latest\ndocker images --digests localhost:5000/myapp': {
      stdout: [/^localhost:5000\/myapp +(latest|v1\.2\.3) +sha256:/m],
    },
    'docker run --rm localhost:5000/myapp:latest\ndocker run --rm localhost:5000/myapp@$digest echo "pinned by digest: still the image you tested"': {
      stdout: [/^Hello from Docker!$/m, /^pinned by digest: still the image you tested\n$/m],
    },
  },
  'volumes-and-networks': {
    'docker --version\ndocker run hello-world': { stdout: [/^Hello from Docker!$/m] },
    'docker ps\ndocker ps -a\ndocker images\ndocker pull nginx': { stdout: [/ hello-world +"\/hello" .* Exited \(0\) /, /^Status: Image is up to date for nginx:latest$/m] },
    'docker run -it debian:bookworm bash': {
      replace: 'docker run --rm debian:bookworm grep PRETTY /etc/os-release',
      session: ['grep PRETTY /etc/os-release', 'exit'],
      stdout: [/^PRETTY_NAME="Debian GNU\/Linux 12 \(bookworm\)"\n$/],
    },
    "docker run -d -v /data --name app1 nginx\ndocker volume ls\ndocker inspect app1 --format '{{range .Mounts}}{{.Type}} {{.Name}} -> {{.Destination}}{{end}}'": {
      stdout: [/^local +[0-9a-f]{64}$/m, /^volume [0-9a-f]{64} -> \/data$/m],
    },
    'docker logs --tail 3 mysql': { waitFor: 'docker logs mysql 2>&1 | grep -q "port: 3306"', waitMs: 8 * MINUTE, expect: [/mariadbd: ready for connections\./, /port: 3306/] },
    'docker logs --tail 3 mysql2': { waitFor: 'docker logs mysql2 2>&1 | grep -q "port: 3306"', expect: [/port: 3306/] },
    "docker exec mysql2 mariadb -uroot -pfoobarbaz -e 'SHOW DATABASES'": { stdout: [/^keep1$/m] },
    "curl -s localhost:8080\necho '<h1>changed on the host</h1>' > website/index.html\ncurl -s localhost:8080": {
      waitFor: 'curl -sf localhost:8080',
      stdout: [/^<h1>Hello from a bind mount<\/h1>\n<h1>changed on the host<\/h1>\n$/],
    },
    "ls /var/lib/docker/volumes/\ndocker inspect site --format '{{range .Mounts}}{{.Type}}: {{.Source}} -> {{.Destination}}{{end}}'": {
      stdout: [/^mydata$/m, /^bind: \/root\/volumes-and-networks\/website -> \/usr\/share\/nginx\/html$/m],
    },
    "docker run -d --name scratch --tmpfs /cache nginx\ndocker exec scratch sh -c 'mount | grep /cache'": {
      stdout: [/^tmpfs on \/cache type tmpfs \(rw,nosuid,nodev,noexec,relatime\)$/m],
    },
    "docker run -d --name scratch2 --mount type=tmpfs,target=/cache nginx\ndocker exec scratch2 sh -c 'echo secret > /cache/token; ls /cache'\ndocker restart scratch2\ndocker exec scratch2 ls /cache": {
      stdout: [/\ntoken\nscratch2\n$/],
    },
    "docker network ls\ndocker network inspect bridge --format '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}'\nip addr show docker0": {
      stdout: [/ bridge +bridge +local$/m, / host +host +local$/m, / none +null +local$/m, /^172\.17\.0\.0\/16 172\.17\.0\.1$/m, /inet 172\.17\.0\.1\/16 /],
    },
    'docker rm -f app1\ndocker network create mynet\ndocker run -d --name app1 --network mynet nginx\ndocker run -d --name app2 --network mynet busybox sleep 3600\ndocker exec app2 ping -c 1 app1\ndocker exec app2 wget -qO- http://app1': {
      stdout: [/^1 packets transmitted, 1 packets received, 0% packet loss$/m, /<title>Welcome to nginx!<\/title>/],
    },
    'docker run --rm busybox ping -c 1 app1': { exit: 1, mayFail: true, expect: [/^ping: bad address 'app1'$/m] },
    'docker run --rm --network none busybox ip addr': { stdout: [/^1: lo: <LOOPBACK,UP,LOWER_UP>[^\n]*\n( [^\n]*\n)*$/] },
    'curl -s localhost:80 | grep title': { waitFor: 'curl -sf localhost:80', stdout: [/<title>Welcome to nginx!<\/title>/] },
    'docker run -d --name web -p 8081:80 nginx\ndocker port web\niptables -t nat -S DOCKER | grep 8081': {
      stdout: [/^80\/tcp -> 0\.0\.0\.0:8081$/m, /^-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8081 -j DNAT --to-destination 172\.17\.0\.\d+:80$/m],
    },
    'iptables -t nat -S POSTROUTING | grep MASQUERADE': { stdout: [/-A POSTROUTING -s 172\.17\.0\.0\/16 ! -o docker0 -j MASQUERADE/] },
    'docker logs --tail 3 db': { waitFor: 'docker logs db 2>&1 | grep -q "port: 3306"', expect: [/port: 3306/] },
    "docker run --rm --network backend mariadb:10.11 mariadb -h db -P 3306 -uroot -pfoobarbaz -e 'SHOW DATABASES'": { stdout: [/^keep1$/m] },
  },
  'why-docker': {
    'hostname\ndocker run --rm busybox hostname\ndocker run --rm --hostname lab-box busybox hostname': { stdout: [/^docker-lab\n[0-9a-f]{12}\nlab-box\n$/] },
    'docker run --rm busybox ps\ndocker run --rm busybox ip addr': { stdout: [/^PID +USER +COMMAND\n +1 root +ps\n/, /^\d+: eth0@if\d+: /m, /inet 172\.17\.0\.\d+\/16 /] },
    'docker run -d --name ns-demo busybox sleep 600\nlsns -t pid -t uts -t net': { stdout: [/ pid .* sleep 600/, / uts .* sleep 600/, / net .* sleep 600/] },
    'grep CapEff /proc/self/status\ndocker run --rm busybox grep CapEff /proc/self/status': { stdout: [/^CapEff:\s+0*1f+\nCapEff:\s+00000000a80425fb\n$/] },
    "docker run -d --name limited --memory=512m --cpus=1 nginx\ndocker inspect limited --format '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}'": { stdout: [/^536870912 1000000000$/m] },
    "id=$(docker inspect limited --format '{{.Id}}')\ncat /sys/fs/cgroup/docker/$id/memory.max /sys/fs/cgroup/docker/$id/cpu.max\ndocker stats --no-stream limited": {
      stdout: [/^536870912\n100000 100000\n/, / limited /],
    },
    'docker run --name hog --memory=64m python:3.11-slim python -c "b = bytearray(200 * 1024 * 1024)"\ndocker inspect hog --format \'OOMKilled={{.State.OOMKilled}} exit={{.State.ExitCode}}\'': {
      mayFail: true,
      stdout: [/^OOMKilled=true exit=137$/m],
    },
    'stat -fc %T /sys/fs/cgroup': { stdout: [/^cgroup2fs\n$/] },
    "docker inspect limited --format '{{json .GraphDriver.Data}}' | jq": {
      stdout: [/"LowerDir": "\/var\/lib\/docker\/overlay2\/[0-9a-f]{64}-init\/diff:/, /"MergedDir": /, /"UpperDir": /, /"WorkDir": /],
    },
    "ls $(docker inspect limited --format '{{.GraphDriver.Data.MergedDir}}')\nls -R $(docker inspect limited --format '{{.GraphDriver.Data.UpperDir}}') | head -n 20": {
      stdout: [/^usr$/m, /nginx\.pid/],
    },
    'docker run -it --rm -v /bin/busybox:/opt/busybox:ro debian:bookworm': {
      replace: "docker run --rm -v /bin/busybox:/opt/busybox:ro debian:bookworm bash -c 'ping -c 1 172.17.0.1; cp /opt/busybox /usr/local/bin/ping; ping -c 1 172.17.0.1'",
      session: ['ping -c 1 172.17.0.1', 'cp /opt/busybox /usr/local/bin/ping\nping -c 1 172.17.0.1', 'exit'],
      expect: [/ping: command not found/, /^1 packets transmitted, 1 packets received, 0% packet loss$/m],
    },
    'docker run --rm debian:bookworm ping -c 1 172.17.0.1': { exit: 125, mayFail: true, expect: [/executable file `ping` not found in \$PATH: No such file or directory/] },
    'docker run -d --name my-debian -v /bin/busybox:/opt/busybox:ro debian:bookworm sleep infinity\ndocker exec my-debian cp /opt/busybox /usr/local/bin/ping\ndocker restart my-debian\ndocker exec my-debian ping -c 1 172.17.0.1': {
      stdout: [/^1 packets transmitted, 1 packets received, 0% packet loss$/m],
    },
    'docker build --tag my-ping-image - <<EOF\nFROM debian:bookworm\nCOPY --from=busybox:1.35 /bin/busybox /usr/local/bin/ping\nEOF\ndocker run --rm my-ping-image ping -c 1 172.17.0.1': {
      stdout: [/^1 packets transmitted, 1 packets received, 0% packet loss$/m],
      timeoutMs: 5 * MINUTE,
    },
    "docker run --rm debian:bookworm bash -c 'mkdir /my-data; echo \"Hello from the container!\" > /my-data/hello.txt; cat /my-data/hello.txt'\ndocker run --rm debian:bookworm cat /my-data/hello.txt": {
      exit: 1,
      mayFail: true,
      stdout: [/^Hello from the container!\n$/],
      expect: [/cat: \/my-data\/hello\.txt: No such file or directory/],
    },
    "docker volume create my-volume\ndocker run --rm --mount source=my-volume,destination=/my-data/ debian:bookworm bash -c 'echo \"Hello from the container!\" > /my-data/hello.txt'\ndocker run --rm -v my-volume:/my-data debian:bookworm cat /my-data/hello.txt": {
      stdout: [/^my-volume\nHello from the container!\n$/],
    },
    'ls /var/lib/docker/volumes/my-volume/_data\ncat /var/lib/docker/volumes/my-volume/_data/hello.txt': { stdout: [/^hello\.txt\nHello from the container!\n$/] },
    'docker run -it --rm --privileged --pid=host debian:bookworm-slim nsenter -t 1 -m -u -n -i sh': {
      replace: "docker run --rm --privileged --pid=host debian:bookworm-slim nsenter -t 1 -m -u -n -i sh -c 'hostname; cat /var/lib/docker/volumes/my-volume/_data/hello.txt'",
      session: ['hostname; cat /var/lib/docker/volumes/my-volume/_data/hello.txt', 'exit'],
      stdout: [/^docker-lab\nHello from the container!\n$/],
    },
    'cd /root/why-docker\nmkdir -p my-data\ndocker run --rm --mount type=bind,source="${PWD}"/my-data,destination=/my-data debian:bookworm bash -c \'echo "Hello from the container!" > /my-data/hello.txt\'\ndocker run --rm -v ${PWD}/my-data:/my-data debian:bookworm cat /my-data/hello.txt\ncat my-data/hello.txt': {
      stdout: [/^Hello from the container!\nHello from the container!\n$/],
    },
    'docker logs --tail 2 pg': {
      waitFor: 'docker logs pg 2>&1 | grep -q "init process complete" && docker logs --tail 2 pg 2>&1 | grep -q "ready to accept connections"',
      waitMs: 8 * MINUTE,
      expect: [/database system is ready to accept connections/],
    },
    "docker exec pg psql -U postgres -tAc 'select version()'": { stdout: [/^PostgreSQL 15\.\d+ .* on i686-pc-linux-gnu, .* 32-bit$/m] },
    'docker exec r1 redis-cli set greeting "kept on a volume"\ndocker stop r1\ndocker run -d --rm --name r2 -v redisdata:/data -v ${PWD}/redis.conf:/usr/local/etc/redis/redis.conf redis:7.0 redis-server /usr/local/etc/redis/redis.conf': {
      waitFor: 'docker exec r1 redis-cli ping | grep -qx PONG',
      stdout: [/^OK\nr1\n[0-9a-f]{64}\n$/],
    },
    'docker exec r2 redis-cli get greeting': { waitFor: 'docker exec r2 redis-cli ping | grep -qx PONG', stdout: [/^kept on a volume\n$/] },
    'docker run -it --rm busybox:1.35': {
      replace: "docker run --rm busybox:1.35 sh -c 'busybox | head -n 1'",
      session: ['busybox | head -n 1', 'exit'],
      stdout: [/^BusyBox v1\.35\.0 \(Debian [^)]*\) multi-call binary\.\n$/],
    },
    'docker run -it --rm python:3.11': {
      replace: "docker run --rm python:3.11 python -c 'import sys; print(sys.version); print(2 ** 100)'",
      session: ['print(2 ** 100)', 'exit()'],
      stdout: [/^3\.11\.2 /, /^1267650600228229401496703205376$/m],
    },
    "cd /root/why-docker\ncat sample-data/test.json\ndocker run -i --rm jq:1.6 '.key_1 + .key_2' < sample-data/test.json": { stdout: [/\n"foobar"\n$/] },
    "docker run -i --rm busybox:1.35 sed 's/file./file!/g' < sample-data/test.txt\necho \"This string is just long enough to trigger a line break in GNU base64.\" | docker run -i --rm busybox:1.35 base64\ndocker run -i --rm busybox:1.35 base64 < sample-data/test.txt": {
      stdout: [
        /^This is the first line of the sample file!\nThe file! as you can see, has a second line\.\n/,
        /\nVGhpcyBzdHJpbmcgaXMganVzdCBsb25nIGVub3VnaCB0byB0cmlnZ2VyIGEgbGluZSBicmVhayBp\nbiBHTlUgYmFzZTY0Lgo=\n/,
      ],
    },
    'jq-shell-function() {\n  docker run --rm -i -v ${PWD}:/workdir -w /workdir jq:1.6 "$@"\n}\njq-shell-function \'.key_1 + .key_2\' sample-data/test.json': { stdout: [/^"foobar"\n$/] },
    "alias 'jq-alias=docker run --rm -i -v ${PWD}:/workdir -w /workdir jq:1.6'\njq-alias '.key_1' sample-data/test.json": { stdout: [/^"foo"\n$/] },
  },
};

/** Guests running at once: one per core of the 2-core test machine. */
const PARALLEL_GUESTS = 2;
/** Longest lessons first, so the two lanes finish close together. */
const ORDER = ['containers-101', 'images-deep-dive', 'why-docker', 'volumes-and-networks', 'what-containers-are'];

class Failure extends Error {}

function check(ok: boolean, message: string): void {
  if (!ok) throw new Failure(message);
}

interface LessonRun {
  files: Promise<void>;
  steps: Promise<void>[];
  unusedPlan: Promise<string[]>;
}

function deferred(): { promise: Promise<void>; resolve(): void; reject(e: unknown): void } {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined); // reported by the step's own test
  return { promise, resolve, reject };
}

async function runStep(shell: LessonShell, plan: LessonPlan, used: Set<string>, step: Lesson['steps'][number], index: number): Promise<void> {
  // The runner starts a step's background script when the step opens; here the
  // learner is taken to have read the step while it ran.
  if (step.background !== null) {
    const background = await shell.background(step.background, index);
    check(background.exitCode === 0, `the step's background script failed:\n${describeResult(background)}`);
  }
  const verify = step.verify;
  if (verify !== null) {
    const before = await shell.verify(verify, index);
    check(before.exitCode !== 0 && !before.timedOut, `verify.sh passed (or hung) before the step's commands:\n${describeResult(before)}`);
  }
  const commands = markdownCommands(step.text).filter((c) => c.kind === 'exec');
  let session: string[] = [];
  for (const command of commands) {
    if (session[0] === command.text) {
      session = session.slice(1);
      continue;
    }
    check(session.length === 0, `expected the interactive-session command ${JSON.stringify(session[0])}, found ${JSON.stringify(command.text)}`);
    const adapt = plan[command.text] ?? {};
    if (plan[command.text]) used.add(command.text);
    const interactive = /(^|\s)-(it|ti)\b|--interactive --tty|--tty --interactive/.test(command.text) || command.interrupt;
    check(!interactive || adapt.replace !== undefined, `no non-interactive equivalent listed for: ${command.text}`);
    if (adapt.onlyIf !== undefined && (await shell.run(adapt.onlyIf, MINUTE)).exitCode !== 0) continue;
    if (adapt.waitFor) check(await shell.waitFor(adapt.waitFor, adapt.waitMs ?? 3 * MINUTE), `still not ready: ${adapt.waitFor}`);
    const result = await shell.run(adapt.replace ?? command.text, adapt.timeoutMs ?? 3 * MINUTE);
    const what = `${command.text}${adapt.replace ? `\n(run as: ${adapt.replace})` : ''}\n${describeResult(result)}`;
    check(!result.timedOut, `timed out: ${what}`);
    check(result.exitCode === (adapt.exit ?? 0), `expected exit ${adapt.exit ?? 0}: ${what}`);
    check(adapt.mayFail === true || result.failed.length === 0, `a command failed: ${what}`);
    for (const re of adapt.expect ?? []) check(re.test(`${result.stdout}${result.stderr}`), `output does not match ${re}: ${what}`);
    for (const re of adapt.stdout ?? []) check(re.test(result.stdout), `stdout does not match ${re}: ${what}`);
    session = adapt.session ?? [];
  }
  check(session.length === 0, `interactive-session commands not found after their -it command: ${JSON.stringify(session)}`);
  if (verify !== null) {
    const after = await shell.verify(verify, index);
    check(after.exitCode === 0, `verify.sh failed after the step's commands:\n${describeResult(after)}`);
  }
}

/** Runs a whole lesson in its own guest; each page's outcome settles its promise. */
function startLesson(lesson: Lesson, plan: LessonPlan, slot: () => Promise<() => void>, guests: ChildGuest[]): LessonRun {
  const files = deferred();
  const steps = lesson.steps.map(() => deferred());
  const used = new Set<string>();
  const unusedPlan = (async () => {
    const release = await slot();
    let guest: ChildGuest | undefined;
    try {
      guest = await openGuestInChild();
      guests.push(guest);
      const shell = new LessonShell(guest);
      await shell.reset();
      try {
        for (const f of lesson.files) {
          await guest.agent.writeFile(f.path, f.data, f.mode);
          const back = await guest.agent.readFile(f.path);
          check(Buffer.from(back).equals(Buffer.from(f.data)), `${f.path} did not arrive intact`);
        }
        files.resolve();
      } catch (err) {
        files.reject(err);
      }
      for (const [i, step] of lesson.steps.entries()) {
        // A failed step does not stop the lesson: later steps report on their own.
        await runStep(shell, plan, used, step, i).then(steps[i].resolve, steps[i].reject);
      }
    } catch (err) {
      files.reject(err);
      for (const s of steps) s.reject(err);
    } finally {
      await guest?.destroy();
      release();
    }
    return Object.keys(plan).filter((text) => !used.has(text));
  })();
  return { files: files.promise, steps: steps.map((s) => s.promise), unusedPlan };
}

/** A counting semaphore. */
function slots(n: number): () => Promise<() => void> {
  let free = n;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else free++;
  };
  return async () => {
    if (free > 0) free--;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    return release;
  };
}

// Tests wait for their lesson's results; the whole file takes about as long as
// the slower lane, so each test may wait for most of it.
const WAIT = 40 * MINUTE;
const guests: ChildGuest[] = [];
const lessons = new Map(ORDER.map((id) => [id, loadLesson(id)]));
let runs: Map<string, LessonRun> | null = null;

/** LESSONS=id,id runs only those lessons (none: no lesson; unset: all five). */
const SELECTED = process.env.LESSONS ? process.env.LESSONS.split(',').map((x) => x.trim()) : ORDER;

/** Starts every selected lesson on first use, so all lanes are busy from the first test on. */
function runOf(id: string): LessonRun {
  if (!runs) {
    const slot = slots(PARALLEL_GUESTS);
    runs = new Map(ORDER.filter((x) => SELECTED.includes(x)).map((x) => [x, startLesson(lessons.get(x)!, PLANS[x], slot, guests)]));
  }
  return runs.get(id)!;
}

afterAll(async () => {
  await Promise.all(guests.map((g) => g.destroy()));
}, 60_000);

it('covers every built-in Docker lesson', () => {
  expect(Object.keys(PLANS).sort()).toEqual([...ORDER].sort());
});

// Lessons left out with LESSONS are not registered at all, rather than reported as skipped.
for (const id of ORDER.filter((x) => SELECTED.includes(x))) {
  const lesson = lessons.get(id)!;
  describe(id, () => {
    it('places its lab.files', async () => {
      await runOf(id).files;
    }, WAIT);
    lesson.steps.forEach((step, i) => {
      it(`step ${i + 1}: ${step.title}`, async () => {
        await runOf(id).steps[i];
      }, WAIT);
    });
    it('lists only commands the lesson has', async () => {
      expect(await runOf(id).unusedPlan).toEqual([]);
    }, WAIT);
  });
}

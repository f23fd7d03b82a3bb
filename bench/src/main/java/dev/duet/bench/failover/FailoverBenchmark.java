package dev.duet.bench.failover;

import dev.duet.chat.store.HBaseChatStore;
import dev.duet.chat.store.StoreSettings;
import dev.duet.client.ChatListener;
import dev.duet.client.ClientOptions;
import dev.duet.client.ConnectionState;
import dev.duet.client.DuetClient;
import dev.duet.localhbase.LocalHBase;
import dev.duet.presenter.SelfSignedCertificate;
import dev.duet.protocol.auth.TokenKeys;
import dev.duet.protocol.auth.TokenSigner;
import dev.duet.protocol.testing.FaultProxy;
import dev.duet.ring.HashRing;
import dev.duet.ring.RingMembership;
import dev.duet.thrift.chat.Message;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Failover with real processes: the in-process HBase and its ZooKeeper here, three chat servers and a presenter as
 * their own JVMs, couples sending in a closed loop through TLS. Two faults, one after the other:
 * <ol>
 *   <li>ZooKeeper cut for the chat servers only (their ZooKeeper connections go through a proxy that drops
 *   everything) for longer than their session timeout: client disconnects counted;</li>
 *   <li>kill -9 of the chat server owning the most couples: per affected couple, the time from the kill to its next
 *   acknowledgement.</li>
 * </ol>
 * Then every acknowledged message is looked up in HBase. JSON lines on stdout.
 *
 * <p>Arguments: {@code [couples (60)] [ZooKeeper cut seconds (30)]}.
 */
public final class FailoverBenchmark {
    private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(15);

    private FailoverBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int couples = args.length > 0 ? Integer.parseInt(args[0]) : 60;
        int cutSeconds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        Path work = Files.createTempDirectory("duet-failover");
        List<Process> processes = new ArrayList<>();
        try (LocalHBase hbase = LocalHBase.start(work.resolve("hbase"), 0, Duration.ofMinutes(3));
             FaultProxy zookeeperForChatServers = new FaultProxy(hbase.zookeeperAddress())) {
            TokenKeys keys = TokenKeys.generate(work.resolve("token-keys.properties"), "bench-1");
            SelfSignedCertificate certificate = SelfSignedCertificate.in(work.resolve("tls"));
            Map<String, Process> chatServers = new LinkedHashMap<>();
            int zookeeperPort = hbase.zookeeperAddress().getPort();
            for (int i = 1; i <= 3; i++) {
                String id = "cs-" + i;
                Process server = start(work, id, "dev.duet.chat.ChatServerMain", "--id", id, "--bind", "127.0.0.1",
                        "--mux-port", Integer.toString(freePort()), "--admin-port", Integer.toString(freePort()),
                        "--zookeeper", "127.0.0.1:" + zookeeperForChatServers.port(),
                        "--zookeeper-session-timeout", SESSION_TIMEOUT.toString(),
                        "--hbase-quorum", "127.0.0.1", "--hbase-port", Integer.toString(zookeeperPort),
                        "--token-keys", work.resolve("token-keys.properties").toString());
                chatServers.put(id, server);
                processes.add(server);
            }
            int presenterPort = freePort();
            processes.add(start(work, "presenter", "dev.duet.presenter.PresenterMain", "--id", "presenter-1",
                    "--bind", "127.0.0.1", "--port", Integer.toString(presenterPort),
                    "--admin-port", Integer.toString(freePort()), "--cert", certificate.certificate().toString(),
                    "--key", certificate.privateKey().toString(),
                    "--token-keys", work.resolve("token-keys.properties").toString(),
                    "--zookeeper", hbase.zookeeperConnectString()));
            awaitPort(presenterPort);

            CuratorFramework zookeeper = CuratorFrameworkFactory.newClient(hbase.zookeeperConnectString(),
                    new ExponentialBackoffRetry(100, 10));
            zookeeper.start();
            try (RingMembership ring = new RingMembership(zookeeper, "/duet/ring")) {
                ring.start();
                require(ring.awaitRing(view -> view.members().size() == 3, Duration.ofMinutes(2)), "3 members");
                List<Sender> senders = new ArrayList<>();
                for (int i = 0; i < couples; i++) {
                    senders.add(new Sender("failover-" + i, keys, presenterPort, certificate));
                }
                senders.forEach(Sender::start);
                Thread.sleep(3_000);

                zookeeperCut(ring, zookeeperForChatServers, senders, cutSeconds);
                kill(ring.ring(), chatServers, senders);
                senders.forEach(Sender::stop);
                check(hbase, senders);
                senders.forEach(Sender::close);
            } finally {
                zookeeper.close();
            }
        } finally {
            processes.forEach(Process::destroyForcibly);
        }
    }

    private static void zookeeperCut(RingMembership ring, FaultProxy proxy, List<Sender> senders, int seconds)
            throws Exception {
        int disconnectsBefore = senders.stream().mapToInt(s -> s.disconnects.get()).sum();
        int acksBefore = senders.stream().mapToInt(Sender::acks).sum();
        proxy.hold(FaultProxy.Direction.TO_TARGET);
        proxy.hold(FaultProxy.Direction.FROM_TARGET);
        Thread.sleep(seconds * 1000L);
        boolean ringEmptied = ring.ring().members().isEmpty();
        int acksDuringCut = senders.stream().mapToInt(Sender::acks).sum() - acksBefore;
        long released = System.nanoTime();
        proxy.release();
        boolean back = ring.awaitRing(view -> view.members().size() == 3, Duration.ofMinutes(1));
        double backSeconds = (System.nanoTime() - released) / 1e9;
        int disconnects = senders.stream().mapToInt(s -> s.disconnects.get()).sum() - disconnectsBefore;
        System.out.printf(Locale.ROOT, "{\"benchmark\":\"failover\",\"case\":\"zookeeper_cut\",\"cutSeconds\":%d,"
                        + "\"sessionTimeoutSeconds\":%d,\"ringEmptiedInZooKeeper\":%b,\"couples\":%d,"
                        + "\"disconnects\":%d,\"acksDuringCut\":%d,\"ringBackSeconds\":%s}%n", seconds,
                SESSION_TIMEOUT.toSeconds(), ringEmptied, senders.size(), disconnects, acksDuringCut,
                back ? String.format(Locale.ROOT, "%.2f", backSeconds) : "null");
        Thread.sleep(3_000);
    }

    private static void kill(HashRing ring, Map<String, Process> chatServers, List<Sender> senders)
            throws Exception {
        Map<String, List<Sender>> byOwner = new LinkedHashMap<>();
        for (Sender sender : senders) {
            byOwner.computeIfAbsent(ring.ownerOf(sender.couple).id(), id -> new ArrayList<>()).add(sender);
        }
        String victim = byOwner.entrySet().stream().max(Comparator.comparingInt(e -> e.getValue().size()))
                .orElseThrow().getKey();
        List<Sender> affected = byOwner.get(victim);
        long killed = System.currentTimeMillis();
        chatServers.get(victim).destroyForcibly().waitFor();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline && affected.stream().anyMatch(s -> s.firstAckAfter(killed) < 0)) {
            Thread.sleep(50);
        }
        List<Double> pauses = new ArrayList<>();
        for (Sender sender : affected) {
            long ack = sender.firstAckAfter(killed);
            pauses.add(ack < 0 ? Double.POSITIVE_INFINITY : (ack - killed) / 1000.0);
        }
        pauses.sort(null);
        System.out.printf(Locale.ROOT, "{\"benchmark\":\"failover\",\"case\":\"kill_9\",\"sessionTimeoutSeconds\":%d,"
                        + "\"affectedCouples\":%d,\"recoveryP50Seconds\":%.2f,\"recoveryP99Seconds\":%.2f,"
                        + "\"recoveryMaxSeconds\":%.2f}%n", SESSION_TIMEOUT.toSeconds(), affected.size(),
                percentile(pauses, 0.50), percentile(pauses, 0.99), pauses.get(pauses.size() - 1));
    }

    private static double percentile(List<Double> sorted, double p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
    }

    private static void check(LocalHBase hbase, List<Sender> senders) throws Exception {
        int acknowledged = 0;
        int lost = 0;
        int duplicated = 0;
        try (HBaseChatStore store = HBaseChatStore.open(hbase.clientConfiguration(), StoreSettings.defaults(),
                new SimpleMeterRegistry()).get(1, TimeUnit.MINUTES)) {
            for (Sender sender : senders) {
                long last = store.lastSeq(sender.couple).get(1, TimeUnit.MINUTES);
                Map<String, Long> stored = new ConcurrentHashMap<>();
                for (Message message : store.range(sender.couple, 1, last).get(1, TimeUnit.MINUTES)) {
                    if (stored.put(message.getClientMsgId(), message.getSeq()) != null) {
                        duplicated++;
                    }
                }
                for (Map.Entry<String, Long> ack : sender.acked.entrySet()) {
                    acknowledged++;
                    if (!ack.getValue().equals(stored.get(ack.getKey()))) {
                        lost++;
                    }
                }
            }
        }
        System.out.printf(Locale.ROOT, "{\"benchmark\":\"failover\",\"case\":\"check\",\"acknowledged\":%d,"
                + "\"lost\":%d,\"duplicated\":%d}%n", acknowledged, lost, duplicated);
    }

    /** One device sending in a closed loop; it counts its disconnects and keeps the time of every ack. */
    private static final class Sender implements ChatListener {
        final String couple;
        final Map<String, Long> acked = new ConcurrentHashMap<>();
        final AtomicInteger disconnects = new AtomicInteger();
        private final List<Long> ackMillis = new ArrayList<>();
        private final DuetClient client;
        private final Thread thread;
        private volatile boolean running = true;

        Sender(String couple, TokenKeys keys, int port, SelfSignedCertificate certificate) throws Exception {
            this.couple = couple;
            String token = new TokenSigner(keys, Clock.systemUTC()).sign("ann", couple, "bob", Duration.ofHours(1));
            this.client = DuetClient.connect(ClientOptions.of("127.0.0.1", port, token, certificate.certificate()),
                    this).get(1, TimeUnit.MINUTES);
            this.thread = new Thread(this::run, "sender-" + couple);
        }

        private void run() {
            for (int n = 1; running; n++) {
                try {
                    long seq = client.send("m-" + n, "message " + n).get(2, TimeUnit.MINUTES).getSeq();
                    acked.put("m-" + n, seq);
                    synchronized (this) {
                        ackMillis.add(System.currentTimeMillis());
                    }
                    Thread.sleep(20);
                } catch (Exception e) {
                    return;
                }
            }
        }

        void start() {
            thread.start();
        }

        void stop() {
            running = false;
            try {
                thread.join(150_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        synchronized int acks() {
            return ackMillis.size();
        }

        synchronized long firstAckAfter(long millis) {
            for (long at : ackMillis) {
                if (at > millis) {
                    return at;
                }
            }
            return -1;
        }

        @Override
        public void stateChanged(ConnectionState state) {
            if (state == ConnectionState.RECONNECTING) {
                disconnects.incrementAndGet();
            }
        }

        void close() {
            client.close();
        }
    }

    private static Process start(Path work, String name, String mainClass, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/java.nio=ALL-UNNAMED",
                "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens",
                "java.base/java.util.concurrent=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
                "-Dio.netty.leakDetection.level=disabled", "-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(work.resolve(name + ".log").toFile()).start();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void awaitPort(int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (System.nanoTime() < deadline) {
            try (Socket socket = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException("nothing listening on port " + port);
    }

    private static void require(boolean condition, String what) {
        if (!condition) {
            throw new IllegalStateException("expected " + what);
        }
    }
}

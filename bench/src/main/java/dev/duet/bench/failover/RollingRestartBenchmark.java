package dev.duet.bench.failover;

import dev.duet.localhbase.LocalHBase;
import dev.duet.presenter.SelfSignedCertificate;
import dev.duet.protocol.auth.TokenKeys;
import dev.duet.ring.RingMembership;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.duet.bench.failover.BenchProcesses.awaitPort;
import static dev.duet.bench.failover.BenchProcesses.freePort;
import static dev.duet.bench.failover.BenchProcesses.percentile;
import static dev.duet.bench.failover.BenchProcesses.require;
import static dev.duet.bench.failover.BenchProcesses.start;

/**
 * A rolling restart with real processes, with stream handover on and then off, side by side: three chat servers and a
 * presenter as their own JVMs over the in-process HBase, couples sending in a closed loop through TLS. Each chat
 * server in turn gets SIGTERM (it drains, then exits) and is started again, and the next one goes once the ring shows
 * three members again. Per mode: client disconnects, each couple's longest pause without an acknowledgement during
 * the restart (p50, p99, max), the presenter's handover count and mean latency from its metrics, and every
 * acknowledgement looked up in HBase. JSON lines on stdout.
 *
 * <p>Arguments: {@code [couples (30)]}.
 */
public final class RollingRestartBenchmark {
    private static final List<String> CHAT_SERVERS = List.of("cs-1", "cs-2", "cs-3");
    private static final Pattern SAMPLE = Pattern.compile("^(duet_presenter_handover\\w*)(\\{[^}]*})? (\\S+)$",
            Pattern.MULTILINE);

    private final Path work;
    private final LocalHBase hbase;
    private final TokenKeys keys;
    private final SelfSignedCertificate certificate;
    private final boolean streamHandover;
    private final String ringPath;
    private final Map<String, Process> chatServers = new LinkedHashMap<>();
    private final List<Process> processes = new ArrayList<>();

    private RollingRestartBenchmark(Path work, LocalHBase hbase, TokenKeys keys, SelfSignedCertificate certificate,
                                    boolean streamHandover) {
        this.work = work;
        this.hbase = hbase;
        this.keys = keys;
        this.certificate = certificate;
        this.streamHandover = streamHandover;
        this.ringPath = "/duet/rolling-" + (streamHandover ? "handover" : "reconnect");
    }

    public static void main(String[] args) throws Exception {
        int couples = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        Path work = Files.createTempDirectory("duet-rolling");
        try (LocalHBase hbase = LocalHBase.start(work.resolve("hbase"), 0, Duration.ofMinutes(3))) {
            TokenKeys keys = TokenKeys.generate(work.resolve("token-keys.properties"), "bench-1");
            SelfSignedCertificate certificate = SelfSignedCertificate.in(work.resolve("tls"));
            for (boolean handover : new boolean[]{true, false}) {
                new RollingRestartBenchmark(work, hbase, keys, certificate, handover).run(couples);
            }
        }
    }

    private void run(int couples) throws Exception {
        CuratorFramework zookeeper = CuratorFrameworkFactory.newClient(hbase.zookeeperConnectString(),
                new ExponentialBackoffRetry(100, 10));
        zookeeper.start();
        try (RingMembership ring = new RingMembership(zookeeper, ringPath)) {
            ring.start();
            for (String id : CHAT_SERVERS) {
                chatServers.put(id, startChatServer(id));
            }
            int presenterPort = freePort();
            int presenterAdmin = freePort();
            processes.add(start(work, "presenter", "dev.duet.presenter.PresenterMain", "--id", "presenter-1",
                    "--bind", "127.0.0.1", "--port", Integer.toString(presenterPort),
                    "--admin-port", Integer.toString(presenterAdmin), "--cert", certificate.certificate().toString(),
                    "--key", certificate.privateKey().toString(),
                    "--token-keys", work.resolve("token-keys.properties").toString(),
                    "--zookeeper", hbase.zookeeperConnectString(), "--ring-path", ringPath));
            awaitPort(presenterPort);
            require(ring.awaitRing(view -> view.members().size() == 3, Duration.ofMinutes(2)), "3 members");

            List<ClosedLoopSender> senders = new ArrayList<>();
            for (int i = 0; i < couples; i++) {
                senders.add(new ClosedLoopSender("rolling-" + ringPath.hashCode() + "-" + i, keys, presenterPort,
                        certificate));
            }
            senders.forEach(ClosedLoopSender::start);
            Thread.sleep(3_000);

            long began = System.currentTimeMillis();
            for (String id : CHAT_SERVERS) {
                Process leaving = chatServers.get(id);
                leaving.destroy();
                require(leaving.waitFor(2, TimeUnit.MINUTES), id + " drained and exited");
                chatServers.put(id, startChatServer(id));
                require(ring.awaitRing(view -> view.members().size() == 3, Duration.ofMinutes(2)),
                        id + " back on the ring");
            }
            Thread.sleep(2_000);
            long ended = System.currentTimeMillis();
            report(senders, began, ended, presenterAdmin);
            senders.forEach(ClosedLoopSender::stop);
            ClosedLoopSender.check(hbase, senders, label());
            senders.forEach(ClosedLoopSender::close);
        } finally {
            for (Process process : processes) {
                process.destroy();
            }
            for (Process process : processes) {
                if (!process.waitFor(1, TimeUnit.MINUTES)) {
                    process.destroyForcibly();
                }
            }
            zookeeper.close();
        }
    }

    private Process startChatServer(String id) throws Exception {
        Process server = start(work, id, "dev.duet.chat.ChatServerMain", "--id", id, "--bind", "127.0.0.1",
                "--mux-port", Integer.toString(freePort()), "--admin-port", Integer.toString(freePort()),
                "--zookeeper", hbase.zookeeperConnectString(), "--ring-path", ringPath,
                "--hbase-quorum", "127.0.0.1", "--hbase-port", Integer.toString(hbase.zookeeperAddress().getPort()),
                "--token-keys", work.resolve("token-keys.properties").toString(),
                "--stream-handover", Boolean.toString(streamHandover));
        processes.add(server);
        return server;
    }

    private String label() {
        return "\"benchmark\":\"rolling_restart\",\"streamHandover\":" + streamHandover;
    }

    private void report(List<ClosedLoopSender> senders, long began, long ended, int presenterAdmin)
            throws Exception {
        List<Double> gaps = new ArrayList<>();
        for (ClosedLoopSender sender : senders) {
            gaps.add(sender.longestGapMillis(began, ended) / 1000.0);
        }
        gaps.sort(null);
        int disconnects = senders.stream().mapToInt(s -> s.disconnects.get()).sum();
        Map<String, Double> handovers = handoverMeters(presenterAdmin);
        double count = handovers.getOrDefault("duet_presenter_handover_latency_seconds_count", 0.0);
        double sum = handovers.getOrDefault("duet_presenter_handover_latency_seconds_sum", 0.0);
        System.out.printf(Locale.ROOT, "{%s,\"case\":\"restart\",\"couples\":%d,\"restartSeconds\":%.1f,"
                        + "\"disconnects\":%d,\"longestAckPauseP50Seconds\":%.2f,\"longestAckPauseP99Seconds\":%.2f,"
                        + "\"longestAckPauseMaxSeconds\":%.2f,\"handoversResumed\":%.0f,\"handoversFailed\":%.0f,"
                        + "\"handoverMeanMillis\":%s}%n", label(), senders.size(), (ended - began) / 1000.0,
                disconnects, percentile(gaps, 0.50), percentile(gaps, 0.99), gaps.get(gaps.size() - 1),
                handovers.getOrDefault("duet_presenter_handovers_total{result=\"resumed\"}", 0.0),
                handovers.entrySet().stream().filter(e -> e.getKey().startsWith("duet_presenter_handovers_total")
                        && !e.getKey().contains("\"resumed\"")).mapToDouble(Map.Entry::getValue).sum(),
                count == 0 ? "null" : String.format(Locale.ROOT, "%.1f", sum / count * 1000));
    }

    /** The presenter's handover meters from its admin endpoint's Prometheus text, by name and tags. */
    private static Map<String, Double> handoverMeters(int adminPort) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + adminPort + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        Map<String, Double> meters = new LinkedHashMap<>();
        Matcher matcher = SAMPLE.matcher(response.body());
        while (matcher.find()) {
            String tags = matcher.group(2) == null ? "" : matcher.group(2).replaceAll(",?server=\"[^\"]*\"", "")
                    .replace("{,", "{");
            meters.put(matcher.group(1) + ("{}".equals(tags) ? "" : tags), Double.parseDouble(matcher.group(3)));
        }
        return meters;
    }
}

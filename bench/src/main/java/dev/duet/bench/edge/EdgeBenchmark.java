package dev.duet.bench.edge;

import dev.duet.chat.ChatServer;
import dev.duet.chat.ChatServerConfig;
import dev.duet.localhbase.LocalHBase;
import dev.duet.chat.store.StoreSettings;
import dev.duet.launcher.LocalCertificateAuthority;
import dev.duet.presenter.SelfSignedCertificate;
import dev.duet.protocol.auth.TokenKeys;
import dev.duet.protocol.auth.TokenSigner;
import dev.duet.protocol.tls.MuxTls;
import dev.duet.protocol.transport.NettyTransport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.hadoop.fs.FileUtil;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The presenter side by side with HAProxy (TLS termination in {@code mode tcp}, forwarding to a chat server's direct
 * listener), in the same run, against the same chat server and in-process HBase. Each runs in its own process, so
 * its memory and CPU are its own. Prints JSON lines: memory per idle TLS connection, connects per second (a full or
 * resumed TLS 1.3 handshake, ECDSA P-256, and the authenticate call) with the server's CPU per connect and the share
 * of resuming connects that resumed, and ping round trips at 1,000 connections;
 * then the same round trips through a second presenter whose mux connections to its own chat server use mutual TLS,
 * beside the first's plain mux: what mux TLS costs the relay. Arguments: {@code haproxy-binary cpu-for-servers idle-connections... }.
 */
public final class EdgeBenchmark {
    private static final int SOURCE_ADDRESSES = 8;
    /**
     * HAProxy's clients and their backend connections are both sockets of this JVM: two descriptors a client under a
     * 20,000-descriptor limit.
     */
    private static final int MAX_HAPROXY_CONNECTIONS = 9_000;
    private static final int SECONDS = 10;
    private static final int WARM_UP_SECONDS = 3;
    /** A JVM edge is warm once a warm-up slice adds fewer JIT compilations than this, or after this many slices. */
    private static final int QUIET_COMPILATIONS = 5;
    private static final int MAX_WARM_UP_SLICES = 10;
    /** The connects of each edge are measured in this many slices, taken in turns with the other edge's. */
    private static final int CONNECT_SLICES = 5;
    private static final int CONNECT_COUPLES = 64;
    private static final String PLAIN_RING = "/bench/ring";
    private static final String MUX_TLS_RING = "/bench/ring-mux-tls";

    final EventLoopGroup group = NettyTransport.best().newGroup(1, new DefaultThreadFactory("edge-load"));
    private final TokenSigner signer;
    private final SslContext fullHandshakes;
    private final SslContext resumingHandshakes;
    private final ResumptionCounter resumptions;
    /** Tokens of a few couples that the connecting clients take in turn: one owner claim each, not one per client. */
    private final List<String> connectTokens = new ArrayList<>();

    EdgeBenchmark(TokenSigner signer, Path certificate) throws IOException, GeneralSecurityException {
        this.signer = signer;
        this.fullHandshakes = SslContextBuilder.forClient().sslProvider(SslProvider.OPENSSL)
                .trustManager(certificate.toFile()).protocols("TLSv1.3").sessionCacheSize(0).build();
        this.resumptions = ResumptionCounter.trusting(certificate);
        for (int i = 0; i < CONNECT_COUPLES; i++) {
            connectTokens.add(signer.sign("h" + i, "edge-connects-" + i, "hp" + i, Duration.ofHours(1)));
        }
        this.resumingHandshakes = SslContextBuilder.forClient().sslProvider(SslProvider.OPENSSL)
                .trustManager(resumptions).protocols("TLSv1.3").build();
    }

    record Target(String name, int port, Process process, boolean jvm) {
        long pid() {
            return process.pid();
        }
    }

    public static void main(String[] args) throws Exception {
        String haproxy = args[0];
        String serverCpu = args[1];
        List<Integer> idleCounts = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            idleCounts.add(Integer.parseInt(args[i]));
        }
        Path work = Files.createTempDirectory("duet-edge-bench");
        SelfSignedCertificate certificate = SelfSignedCertificate.in(work.resolve("tls"));
        TokenKeys keys = TokenKeys.generate(work.resolve("token-keys.properties"), "bench");
        try (LocalHBase hbase = LocalHBase.start(work.resolve("hbase"), 0, Duration.ofMinutes(3))) {
            CuratorFramework zookeeper = CuratorFrameworkFactory.newClient(hbase.zookeeperConnectString(),
                    new ExponentialBackoffRetry(100, 5));
            zookeeper.start();
            LocalCertificateAuthority ca = LocalCertificateAuthority.in(work.resolve("mux-ca"));
            try (ChatServer chat = startChatServer(keys, hbase, zookeeper, PLAIN_RING, null);
                 ChatServer chatWithMuxTls = startChatServer(keys, hbase, zookeeper, MUX_TLS_RING,
                         MuxTls.forChatServer(ca.files(MuxTls.CHAT_SERVER)))) {
                EdgeBenchmark bench = new EdgeBenchmark(new TokenSigner(keys, Clock.systemUTC()),
                        certificate.certificate());
                String zookeeperAddress = hbase.zookeeperConnectString();
                Target presenter = startPresenter("presenter", work, certificate, zookeeperAddress, serverCpu,
                        PLAIN_RING, null);
                Target presenterWithMuxTls = startPresenter("presenter-mux-tls", work, certificate, zookeeperAddress,
                        serverCpu, MUX_TLS_RING, ca.files(MuxTls.PRESENTER));
                Target proxy = startHaproxy(haproxy, work, certificate, chat.clientPort(), serverCpu);
                try {
                    for (int count : idleCounts) {
                        long[] presenterBytes = bench.idleMemory(presenter, count, true);
                        long[] proxyBytes = count <= MAX_HAPROXY_CONNECTIONS ? bench.idleMemory(proxy, count, false)
                                : new long[]{-1, -1};
                        print("idle-memory-per-connection", count, "bytes", presenterBytes[0], proxyBytes[0]);
                        print("idle-memory-per-further-connection", count, "bytes", presenterBytes[1],
                                proxyBytes[1]);
                    }
                    for (boolean resumed : new boolean[]{false, true}) {
                        double[][] both = bench.connects(presenter, proxy, resumed);
                        double[] p = both[0];
                        double[] h = both[1];
                        print(resumed ? "resumed-connects" : "full-connects", 0, "perSecond", p[0], h[0]);
                        if (resumed) {
                            printResumedShare(p[2], h[2]);
                        }
                        print(resumed ? "resumed-connect-cpu" : "full-connect-cpu", 0, "serverCpuMicros", p[1], h[1]);
                    }
                    double[] p = bench.roundTrips(presenter, 1000);
                    double[] t = bench.roundTrips(presenterWithMuxTls, 1000);
                    double[] h = bench.roundTrips(proxy, 1000);
                    print("round-trips", 1000, "perSecond", p[0], h[0]);
                    print("round-trip-p50", 1000, "micros", p[1], h[1]);
                    print("round-trip-p99", 1000, "micros", p[2], h[2]);
                    print("round-trip-cpu", 1000, "serverCpuMicros", p[3], h[3]);
                    print("round-trip-load-side-cpu0-busy", 1000, "percent", 100 * p[4], 100 * h[4]);
                    printMuxTlsCost("round-trips", "perSecond", p[0], t[0]);
                    printMuxTlsCost("round-trip-p50", "micros", p[1], t[1]);
                    printMuxTlsCost("round-trip-p99", "micros", p[2], t[2]);
                    printMuxTlsCost("round-trip-cpu", "presenterCpuMicros", p[3], t[3]);
                } finally {
                    for (Target target : List.of(presenter, presenterWithMuxTls, proxy)) {
                        target.process().destroy();
                    }
                    presenter.process().waitFor(30, TimeUnit.SECONDS);
                    presenterWithMuxTls.process().waitFor(30, TimeUnit.SECONDS);
                    bench.group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
                }
            } finally {
                zookeeper.close();
            }
        } finally {
            // The run leaves gigabytes of HBase files behind otherwise; the edges' logs stay.
            if (!FileUtil.fullyDelete(work.resolve("hbase").toFile())) {
                System.err.println("could not delete " + work.resolve("hbase"));
            }
        }
    }

    private static void print(String metric, int connections, String unit, double presenter, double haproxy) {
        String ratio = haproxy > 0 ? String.format(Locale.ROOT, "%.3f", presenter / haproxy) : "null";
        System.out.printf(Locale.ROOT, "{\"benchmark\":\"edge\",\"metric\":\"%s\",\"connections\":%d,\"unit\":\"%s\","
                        + "\"presenter\":%.1f,\"haproxy\":%s,\"presenterOverHaproxy\":%s}%n", metric, connections, unit,
                presenter, haproxy >= 0 ? String.format(Locale.ROOT, "%.1f", haproxy) : "null", ratio);
    }

    /** Of the connects meant to resume, the share that did, as the client saw it. */
    private static void printResumedShare(double presenter, double haproxy) {
        System.out.printf(Locale.ROOT, "{\"benchmark\":\"edge\",\"metric\":\"resumed-connects-that-resumed\","
                + "\"unit\":\"share\",\"presenter\":%.4f,\"haproxy\":%.4f}%n", presenter, haproxy);
    }

    /** The presenter relaying over plain mux connections beside the same with mutual TLS on them. */
    private static void printMuxTlsCost(String metric, String unit, double plain, double muxTls) {
        System.out.printf(Locale.ROOT, "{\"benchmark\":\"edge\",\"metric\":\"mux-tls-%s\",\"connections\":1000,"
                + "\"unit\":\"%s\",\"plainMux\":%.1f,\"muxTls\":%.1f,\"muxTlsOverPlain\":%.3f}%n", metric, unit,
                plain, muxTls, muxTls / plain);
    }

    // ---- the edges and the chat servers behind them ----

    /** A chat server on its own ring, so each presenter reaches only its own: mux in plain TCP, or with mutual TLS. */
    static ChatServer startChatServer(TokenKeys keys, LocalHBase hbase, CuratorFramework zookeeper, String ring,
                                      MuxTls muxTls) throws Exception {
        ChatServerConfig config = ChatServerConfig.builder("bench-chat" + ring.replace('/', '-'), keys)
                .bindAddress("127.0.0.1").muxPort(0).clientPort(0).ringPath(ring).muxTls(muxTls)
                .store(new StoreSettings("duet_bench", "couples", Duration.ofSeconds(30), 20)).build();
        return ChatServer.start(config, hbase.clientConfiguration(), zookeeper, new SimpleMeterRegistry(),
                Duration.ofMinutes(1));
    }

    static Target startPresenter(String name, Path work, SelfSignedCertificate certificate, String zookeeper,
                                 String cpu, String ring, MuxTls.PemFiles muxTls) throws Exception {
        int port = freePort();
        List<String> command = new ArrayList<>(List.of("taskset", "-c", cpu,
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xms256m", "-Xmx1g",
                "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/java.nio=ALL-UNNAMED",
                "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED", "--add-exports",
                "java.base/jdk.internal.misc=ALL-UNNAMED", "-Dio.netty.leakDetection.level=disabled",
                "-cp", System.getProperty("java.class.path"), "dev.duet.presenter.PresenterMain",
                "--id", "bench-" + name, "--bind", "127.0.0.1", "--port", Integer.toString(port),
                "--cert", certificate.certificate().toString(), "--key", certificate.privateKey().toString(),
                "--token-keys", work.resolve("token-keys.properties").toString(), "--zookeeper", zookeeper,
                "--ring-path", ring, "--ticket-keys-path", ring + "-ticket-keys",
                "--admin-port", "0", "--handshakes-per-second", "1000000", "--max-connections", "19000",
                "--max-connections-per-address", "19000"));
        if (muxTls != null) {
            command.addAll(List.of("--mux-tls-cert", muxTls.certificateChain().toString(), "--mux-tls-key",
                    muxTls.privateKey().toString(), "--mux-tls-ca", muxTls.trustedCa().toString()));
        }
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(work.resolve(name + ".log").toFile());
        // What `duet presenter` sets unless told otherwise.
        builder.environment().putIfAbsent("MALLOC_ARENA_MAX", "1");
        Process process = builder.start();
        awaitPort(port, process);
        Thread.sleep(2_000);
        return new Target(name, port, process, true);
    }

    private static Target startHaproxy(String binary, Path work, SelfSignedCertificate certificate, int backendPort,
                                       String cpu) throws Exception {
        int port = freePort();
        Path pem = work.resolve("haproxy.pem");
        Files.writeString(pem, Files.readString(certificate.certificate()) + Files.readString(certificate.privateKey()));
        Path config = work.resolve("haproxy.cfg");
        Files.writeString(config, String.join("\n",
                "global",
                "  maxconn 9950",
                "  nbthread 1",
                "defaults",
                "  mode tcp",
                "  timeout connect 5s",
                "  timeout client 1h",
                "  timeout server 1h",
                "frontend edge",
                "  bind 127.0.0.1:" + port + " ssl crt " + pem + " ssl-min-ver TLSv1.2",
                "  default_backend chat",
                "backend chat",
                "  server chat1 127.0.0.1:" + backendPort,
                ""));
        Process process = new ProcessBuilder("taskset", "-c", cpu, binary, "-f", config.toString(), "-db")
                .redirectErrorStream(true).redirectOutput(work.resolve("haproxy.log").toFile()).start();
        awaitPort(port, process);
        return new Target("haproxy", port, process, false);
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void awaitPort(int port, Process process) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("process exited with " + process.exitValue());
            }
            try (Socket socket = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException("nothing listening on port " + port);
    }

    // ---- scenarios ----

    /** A client of the edge on {@code port}: its TLS sessions are cached by that port, apart from the other edge's. */
    private Bootstrap bootstrap(SslContext tls, int port, int index, ChannelInitializer<Channel> after) {
        return new Bootstrap().group(group).channel(NettyTransport.best().clientChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .localAddress(new InetSocketAddress("127.0.0." + (2 + index % SOURCE_ADDRESSES), 0))
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(tls.newHandler(ch.alloc(), "localhost", port));
                        ch.pipeline().addLast(after);
                    }
                });
    }

    private List<Channel> openAuthenticated(Target target, int count, List<EdgeClient> clients, Recorder recorder)
            throws Exception {
        List<Channel> channels = new ArrayList<>();
        List<CompletableFuture<Void>> ready = new ArrayList<>();
        Semaphore inFlight = new Semaphore(200);
        String run = Long.toString(System.nanoTime(), 36);
        for (int i = 0; i < count; i++) {
            EdgeClient client = new EdgeClient(signer.sign("u" + i, "edge-" + run + "-" + i, "p" + i,
                    Duration.ofHours(1)), recorder);
            clients.add(client);
            inFlight.acquire();
            client.authenticated().whenComplete((ok, failure) -> inFlight.release());
            ready.add(client.authenticated());
            channels.add(bootstrap(fullHandshakes, target.port(), i, new ChannelInitializer<>() {
                @Override
                protected void initChannel(Channel ch) {
                    client.install(ch);
                }
            }).connect("127.0.0.1", target.port()).channel());
        }
        CompletableFuture.allOf(ready.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
        return channels;
    }

    /**
     * Resident memory per idle authenticated connection, {total, marginal}: total is the RSS growth over all
     * {@code count} connections divided by them (with whatever the first connections cost once: heap regions and
     * pools touched for the first time); marginal is the growth over the second half alone, divided by that half —
     * what each further connection costs, which decides how many fit in a machine. For a JVM target also prints its
     * live heap per connection over the second half and the classes that hold it, from heap histograms.
     */
    long[] idleMemory(Target target, int count, boolean jvm) throws Exception {
        return idleMemory(target, count, jvm, "edge",
                n -> openAuthenticated(target, n, new ArrayList<>(), new Recorder(3)));
    }

    /** Opens {@code count} idle connections to a target, each with an authenticated session. */
    interface IdleOpener {
        List<? extends Channel> open(int count) throws Exception;
    }

    /**
     * {@link #idleMemory(Target, int, boolean)} with the connections {@code opener} opens; a JVM target's heap line
     * is printed under {@code benchmark}.
     */
    static long[] idleMemory(Target target, int count, boolean jvm, String benchmark, IdleOpener opener)
            throws Exception {
        int half = count / 2;
        settle(target, jvm);
        long before = ProcessStats.rssBytes(target.pid());
        long compilationsBefore = jvm ? ProcessStats.jitCompilations(target.pid()) : 0;
        List<Channel> channels = new ArrayList<>(opener.open(half));
        Thread.sleep(3_000);
        settle(target, jvm);
        HeapHistogram heapAtHalf = jvm ? HeapHistogram.of(target.pid()) : null;
        long heapRssAtHalf = jvm ? ProcessStats.heapRssBytes(target.pid()) : 0;
        long atHalf = ProcessStats.rssBytes(target.pid());
        long compilationsAtHalf = jvm ? ProcessStats.jitCompilations(target.pid()) : 0;
        channels.addAll(opener.open(count - half));
        Thread.sleep(3_000);
        settle(target, jvm);
        long after = ProcessStats.rssBytes(target.pid());
        if (jvm) {
            long heapRssGrowth = ProcessStats.heapRssBytes(target.pid()) - heapRssAtHalf;
            HeapHistogram heapAfter = HeapHistogram.of(target.pid());
            System.out.printf(Locale.ROOT, "{\"benchmark\":\"%s\",\"metric\":\"idle-heap-per-connection\","
                            + "\"connections\":%d,\"unit\":\"bytes\",\"presenter\":%.1f,\"heapRss\":%.1f,"
                            + "\"nonHeapRss\":%.1f,\"jitCompilationsFirstHalf\":%d,"
                            + "\"jitCompilationsSecondHalf\":%d,\"topClasses\":%s}%n", benchmark, count,
                    (double) (heapAfter.totalBytes() - heapAtHalf.totalBytes()) / (count - half),
                    (double) heapRssGrowth / (count - half),
                    (double) (after - atHalf - heapRssGrowth) / (count - half),
                    compilationsAtHalf - compilationsBefore,
                    ProcessStats.jitCompilations(target.pid()) - compilationsAtHalf,
                    heapAfter.growthPerConnectionJson(heapAtHalf, count - half, 25));
        }
        closeAll(channels);
        return new long[]{(after - before) / count, (after - atHalf) / (count - half)};
    }

    /** Lets a JVM target collect its garbage first, so its RSS shows live memory, not uncollected garbage. */
    static void settle(Target target, boolean jvm) throws Exception {
        if (jvm) {
            ProcessStats.jcmd(target.pid(), "GC.run");
        }
        Thread.sleep(1_000);
    }

    /**
     * Measures the connects of both edges in {@link #CONNECT_SLICES} alternating slices, after warming each, so that a
     * change in the machine's speed during the phase weighs on both alike. Returns, for the presenter then HAProxy,
     * {connects per second, server CPU microseconds per connect, the share of them that resumed as the client saw it
     * (0 with the context that keeps no sessions)}, and prints each slice's CPU ratio: the spread within the run.
     */
    private double[][] connects(Target presenter, Target proxy, boolean resumed) throws Exception {
        SslContext tls = resumed ? resumingHandshakes : fullHandshakes;
        warmUp(presenter, tls, resumed);
        warmUp(proxy, tls, resumed);
        ConnectTally presenterTally = new ConnectTally();
        ConnectTally proxyTally = new ConnectTally();
        StringBuilder ratios = new StringBuilder();
        for (int slice = 0; slice < CONNECT_SLICES; slice++) {
            double presenterCpu = connectSlice(presenter, tls, presenterTally);
            double proxyCpu = connectSlice(proxy, tls, proxyTally);
            ratios.append(slice == 0 ? "" : ",").append(proxyCpu > 0 && presenterCpu > 0
                    ? String.format(Locale.ROOT, "%.3f", presenterCpu / proxyCpu) : "null");
        }
        System.out.printf(Locale.ROOT, "{\"benchmark\":\"edge\",\"metric\":\"%s-connect-cpu-slices\","
                + "\"presenterOverHaproxy\":[%s]}%n", resumed ? "resumed" : "full", ratios);
        return new double[][]{presenterTally.figures(), proxyTally.figures()};
    }

    /** One edge's connects over the slices of a phase. */
    private static final class ConnectTally {
        long connects;
        long cpuMillis;
        long nanos;
        long fullChecks;
        long resumedChecks;

        double[] figures() {
            long checks = fullChecks + resumedChecks;
            return new double[]{connects / (nanos / 1e9), connects == 0 ? 0 : cpuMillis * 1000.0 / connects,
                    checks == 0 ? 0 : (double) resumedChecks / checks};
        }
    }

    /** Connects to {@code target} for one slice, adding to {@code tally}; returns the slice's CPU per connect. */
    private double connectSlice(Target target, SslContext tls, ConnectTally tally) throws Exception {
        long fullBefore = resumptions.full();
        long resumedBefore = resumptions.resumed();
        long cpuBefore = ProcessStats.cpuMillis(target.pid());
        long started = System.nanoTime();
        long done = connectFor(target, tls, TimeUnit.SECONDS.toNanos(SECONDS) / CONNECT_SLICES);
        tally.nanos += System.nanoTime() - started;
        long cpu = ProcessStats.cpuMillis(target.pid()) - cpuBefore;
        tally.connects += done;
        tally.cpuMillis += cpu;
        tally.fullChecks += resumptions.full() - fullBefore;
        tally.resumedChecks += resumptions.resumed() - resumedBefore;
        return done == 0 ? 0 : cpu * 1000.0 / done;
    }

    /**
     * Connects unmeasured until the edge's connect path is warm, so that the run-to-run spread is not the JIT: a JVM
     * goes on compiling that path for a while (the C2 compiler took 14 to 45 % of the presenter's CPU in a measured
     * phase after a fixed 3 s warm-up), so it gets slices of {@link #WARM_UP_SECONDS} until one adds fewer than
     * {@link #QUIET_COMPILATIONS} compilations; HAProxy gets one slice. Prints how long each edge warmed.
     */
    private void warmUp(Target target, SslContext tls, boolean resumed) throws Exception {
        int slices = 0;
        long added;
        do {
            long compilations = target.jvm() ? ProcessStats.jitCompilations(target.pid()) : 0;
            connectFor(target, tls, TimeUnit.SECONDS.toNanos(WARM_UP_SECONDS));
            slices++;
            added = target.jvm() ? ProcessStats.jitCompilations(target.pid()) - compilations : 0;
        } while (added >= QUIET_COMPILATIONS && slices < MAX_WARM_UP_SLICES);
        System.out.printf(Locale.ROOT, "{\"benchmark\":\"edge\",\"metric\":\"%s-connect-warm-up\",\"edge\":\"%s\","
                + "\"seconds\":%d,\"compilationsInLastSlice\":%d}%n", resumed ? "resumed" : "full", target.name(),
                slices * WARM_UP_SECONDS, added);
    }

    /** Connects with 32 in flight for {@code nanos}; returns how many succeeded. */
    private long connectFor(Target target, SslContext tls, long nanos) throws InterruptedException {
        AtomicLong done = new AtomicLong();
        Semaphore inFlight = new Semaphore(32);
        long end = System.nanoTime() + nanos;
        int index = 0;
        while (System.nanoTime() < end) {
            inFlight.acquire();
            connectOnce(target, tls, index++).whenComplete((ok, failure) -> {
                if (failure == null) {
                    done.incrementAndGet();
                }
                inFlight.release();
            });
        }
        inFlight.acquire(32);
        return done.get();
    }

    /**
     * One client: TLS handshake, then the authenticate call, then close once it is answered. The call is part of it
     * because a BoringSSL server (the presenter) sends its TLS 1.3 session tickets only with its first application
     * data: a client that closed after the handshake alone would never get one, and could never resume.
     */
    private CompletableFuture<Void> connectOnce(Target target, SslContext tls, int index) {
        EdgeClient client = new EdgeClient(connectTokens.get(index % connectTokens.size()), new Recorder(3));
        ChannelFuture connect = bootstrap(tls, target.port(), index, new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                client.install(ch);
            }
        }).connect("127.0.0.1", target.port());
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                client.authenticated().completeExceptionally(f.cause());
            }
        });
        return client.authenticated().whenComplete((ok, failure) -> connect.channel().close());
    }

    /**
     * Returns {round trips per second, p50 micros, p99 micros, the edge's CPU microseconds per round trip, the share of
     * CPU 0 this JVM — load generator, chat server and HBase — kept busy meanwhile}.
     */
    private double[] roundTrips(Target target, int count) throws Exception {
        Recorder recorder = new Recorder(3);
        List<EdgeClient> clients = new ArrayList<>();
        List<Channel> channels = openAuthenticated(target, count, clients, recorder);
        for (int i = 0; i < count; i++) {
            clients.get(i).startPinging(channels.get(i));
        }
        Thread.sleep(2_000);
        recorder.reset();
        long before = clients.stream().mapToLong(EdgeClient::completed).sum();
        long cpuBefore = ProcessStats.cpuMillis(target.pid());
        long loadSideBefore = ProcessStats.cpuMillis(ProcessHandle.current().pid());
        long started = System.nanoTime();
        Thread.sleep(TimeUnit.SECONDS.toMillis(SECONDS));
        long completed = clients.stream().mapToLong(EdgeClient::completed).sum() - before;
        long cpu = ProcessStats.cpuMillis(target.pid()) - cpuBefore;
        long loadSide = ProcessStats.cpuMillis(ProcessHandle.current().pid()) - loadSideBefore;
        double seconds = (System.nanoTime() - started) / 1e9;
        Histogram latency = recorder.getIntervalHistogram();
        clients.forEach(EdgeClient::stopPinging);
        closeAll(channels);
        return new double[]{completed / seconds, latency.getValueAtPercentile(50), latency.getValueAtPercentile(99),
                completed == 0 ? 0 : cpu * 1000.0 / completed, loadSide / 1000.0 / seconds};
    }

    private static void closeAll(List<? extends Channel> channels) throws InterruptedException {
        for (Channel channel : channels) {
            channel.close().sync();
        }
        Thread.sleep(2_000);
    }
}

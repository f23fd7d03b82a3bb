package dev.duet.chat;

import dev.duet.protocol.auth.TokenKeys;
import dev.duet.protocol.config.Settings;
import dev.duet.protocol.config.YamlDefaults;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.util.HierarchicalNameMapper;
import io.micrometer.jmx.JmxMeterRegistry;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hbase.HBaseConfiguration;
import org.apache.hadoop.hbase.HConstants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** Runs one chat server against an existing ZooKeeper and HBase until SIGINT/SIGTERM, then drains it. */
@Command(name = "chat-server", mixinStandardHelpOptions = true,
        description = "Runs a Duet chat server against a ZooKeeper ensemble and an HBase cluster.")
public final class ChatServerMain implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(ChatServerMain.class);

    @Option(names = "--id", description = "Unique member id on the ring.")
    String id;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Host presenters reach this server at.")
    String host;

    @Option(names = "--bind", defaultValue = "0.0.0.0", description = "Address to listen on.")
    String bind;

    @Option(names = "--mux-port", defaultValue = "7100", description = "Port for presenters' mux connections.")
    int muxPort;

    @Option(names = "--client-port", defaultValue = "-1",
            description = "Port for direct client connections (-1: none).")
    int clientPort;

    @Option(names = "--zookeeper", description = "ZooKeeper connect string for the ring.")
    String zookeeper;

    @Option(names = "--ring-path", defaultValue = "/duet/ring", description = "Path of the ring in ZooKeeper.")
    String ringPath;

    @Option(names = "--hbase-quorum", description = "HBase ZooKeeper quorum host (default: the ring's host).")
    String hbaseQuorum;

    @Option(names = "--hbase-port", defaultValue = "2181", description = "HBase ZooKeeper client port.")
    int hbasePort;

    @Option(names = "--token-keys", description = "Token key file (signing=<id>, <id>=<base64url>).")
    Path tokenKeys;

    @Option(names = "--drain-timeout", defaultValue = "PT30S", description = "Longest drain on shutdown (ISO-8601).")
    Duration drainTimeout;

    @Option(names = "--config", description = "YAML file of settings (keys are the option names without dashes; "
            + "DUET_<OPTION> environment variables override it).")
    Path config;

    public static void main(String[] args) throws Exception {
        System.exit(YamlDefaults.install(new CommandLine(new ChatServerMain()), args).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Settings.require("id", id);
        Settings.require("zookeeper", zookeeper);
        Settings.require("token-keys", tokenKeys);
        Configuration hbase = HBaseConfiguration.create();
        hbase.set(HConstants.ZOOKEEPER_QUORUM, hbaseQuorum != null ? hbaseQuorum : zookeeper.split(":")[0]);
        hbase.setInt(HConstants.ZOOKEEPER_CLIENT_PORT, hbasePort);
        ChatServerConfig config = ChatServerConfig.builder(id, TokenKeys.load(tokenKeys))
                .advertisedHost(host).bindAddress(bind).muxPort(muxPort).clientPort(clientPort).ringPath(ringPath)
                .build();
        CuratorFramework curator = CuratorFrameworkFactory.newClient(zookeeper, new ExponentialBackoffRetry(200, 10));
        curator.start();
        ChatServer server = ChatServer.start(config, hbase, curator, jmxRegistry(), Duration.ofMinutes(2));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                log.info("draining chat server {} (up to {})", id, drainTimeout);
                server.drain(drainTimeout);
            } catch (Exception e) {
                log.warn("drain failed: {}", e.toString());
            } finally {
                server.close();
                curator.close();
                stopped.countDown();
            }
        }, "chat-server-stop"));
        stopped.await();
        return 0;
    }

    /** Meters published over JMX in the {@code dev.duet} domain (jconsole, jcmd, any JMX agent). */
    private static JmxMeterRegistry jmxRegistry() {
        return new JmxMeterRegistry(key -> "jmx.domain".equals(key) ? "dev.duet" : null, Clock.SYSTEM,
                HierarchicalNameMapper.DEFAULT);
    }
}

package dev.duet.chat;

import dev.duet.protocol.auth.TokenKeys;
import dev.duet.protocol.config.Settings;
import dev.duet.protocol.config.YamlDefaults;
import dev.duet.admin.ServerMeters;
import dev.duet.admin.ServerProcess;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hbase.HBaseConfiguration;
import org.apache.hadoop.hbase.HConstants;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.List;

/** Runs one chat server against an existing ZooKeeper and HBase until SIGINT/SIGTERM, then drains it. */
@Command(name = "chat-server", mixinStandardHelpOptions = true,
        description = "Runs a Duet chat server against a ZooKeeper ensemble and an HBase cluster.")
public final class ChatServerMain implements Callable<Integer> {
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

    @Option(names = "--admin-bind", defaultValue = "127.0.0.1", description = "Address of the admin HTTP endpoint.")
    String adminBind;

    @Option(names = "--admin-port", defaultValue = "9100", description = "Port of the admin HTTP endpoint.")
    int adminPort;

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
                .adminPort(adminPort).build();
        CuratorFramework curator = CuratorFrameworkFactory.newClient(zookeeper, new ExponentialBackoffRetry(200, 10));
        curator.start();
        ServerMeters meters = new ServerMeters(id);
        ChatServer server = ChatServer.start(config, hbase, curator, meters.registry(), Duration.ofMinutes(2));
        ServerProcess.runUntilStopped(new ChatServerAdmin(server, drainTimeout), meters, adminBind, adminPort,
                List.of(server, curator));
        return 0;
    }
}

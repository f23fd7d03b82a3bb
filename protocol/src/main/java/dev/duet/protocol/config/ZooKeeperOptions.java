package dev.duet.protocol.config;

import picocli.CommandLine.Option;

import java.time.Duration;

/**
 * The ZooKeeper settings every server has (a picocli mixin): where the ensemble is, and the client's session and
 * connection timeouts. The session timeout is how long a dead server stays on the ring; ZooKeeper clamps it to
 * 2–20 times its tick time (4–40 s with the usual 2 s tick).
 */
public final class ZooKeeperOptions {
    @Option(names = "--zookeeper", description = "ZooKeeper connect string (the ring; presenters' ticket keys).")
    String connectString;

    @Option(names = "--zookeeper-session-timeout", defaultValue = "PT15S",
            description = "ZooKeeper session timeout: how long a dead server stays on the ring.")
    Duration sessionTimeout;

    @Option(names = "--zookeeper-connection-timeout", defaultValue = "PT5S",
            description = "Longest wait for a ZooKeeper connection.")
    Duration connectionTimeout;

    /** Fails, naming the setting, unless all three are usable. */
    public void validate() {
        Settings.require("zookeeper", connectString);
        Settings.positive("zookeeper-session-timeout", sessionTimeout);
        Settings.positive("zookeeper-connection-timeout", connectionTimeout);
        Settings.check("zookeeper-connection-timeout", connectionTimeout.compareTo(sessionTimeout) <= 0,
                "must not be longer than zookeeper-session-timeout (" + sessionTimeout + ")", connectionTimeout);
    }

    public String connectString() {
        return connectString;
    }

    public int sessionTimeoutMillis() {
        return Math.toIntExact(sessionTimeout.toMillis());
    }

    public int connectionTimeoutMillis() {
        return Math.toIntExact(connectionTimeout.toMillis());
    }
}

package dev.duet.protocol.config;

import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The ZooKeeper settings every server has (a picocli mixin): where the ensemble is, and the client's session and
 * connection timeouts. The session timeout is how long a dead server stays on the ring; ZooKeeper clamps it to
 * 2–20 times its tick time (4–40 s with the usual 2 s tick). With a credentials file the client authenticates and
 * creates every znode with the ACLs of {@code dev.duet.ring.ZooKeeperAccess}; without one, znodes are open to anyone.
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

    @Option(names = "--zookeeper-credentials", description = "ZooKeeper credentials file (user, password, the ids "
            + "of chat servers and presenters); unset: znodes open to anyone who reaches ZooKeeper.")
    Path credentials;

    /** Fails, naming the setting, unless all are usable. */
    public void validate() {
        Settings.readableFileOrUnset("zookeeper-credentials", credentials);
        Settings.require("zookeeper", connectString);
        Settings.positive("zookeeper-session-timeout", sessionTimeout);
        Settings.positive("zookeeper-connection-timeout", connectionTimeout);
        Settings.check("zookeeper-connection-timeout", connectionTimeout.compareTo(sessionTimeout) <= 0,
                "must not be longer than zookeeper-session-timeout (" + sessionTimeout + ")", connectionTimeout);
    }

    /** The credentials file, or null for none. */
    public Path credentials() {
        return credentials;
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

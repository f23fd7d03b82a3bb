package dev.duet.protocol.config;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Warns at start about what a server leaves open to anyone who reaches it (docs/operations.md, Security). */
public final class OpenSurfaces {
    private static final Logger log = LoggerFactory.getLogger(OpenSurfaces.class);

    private OpenSurfaces() {
    }

    public static void warn(ZooKeeperOptions zookeeper, MuxTlsOptions muxTls) {
        if (zookeeper.credentials() == null) {
            log.warn("no zookeeper-credentials: the ring and the ticket keys are open to anyone who reaches ZooKeeper");
        }
        if (muxTls.files() == null) {
            log.warn("no mux-tls-cert: mux connections are plain TCP and their peers are not authenticated");
        }
    }
}

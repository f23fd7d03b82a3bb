package dev.duet.admin;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The life of a server process after its server started: its {@link AdminSide} up, then wait for SIGINT or SIGTERM,
 * drain, and close everything — the server's resources in the order given, then the admin side with the meters.
 */
public final class ServerProcess {
    private static final Logger log = LoggerFactory.getLogger(ServerProcess.class);

    private ServerProcess() {
    }

    /** Blocks until the process is told to stop and has drained and closed {@code resources}. */
    public static void runUntilStopped(AdminTarget target, ServerMeters meters, AdminToken token, String adminBind,
                                       int adminPort, List<AutoCloseable> resources) throws Exception {
        AdminSide admin = AdminSide.open(target, meters, token, adminBind, adminPort);
        log.info("{} {}: admin endpoint on {}:{}", target.role(), target.id(), adminBind, admin.port());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                log.info("draining {} {}", target.role(), target.id());
                target.drain();
            } catch (Exception e) {
                log.warn("drain failed: {}", e.toString());
            } finally {
                resources.forEach(ServerProcess::closeQuietly);
                admin.close();
                stopped.countDown();
            }
        }, target.role() + "-stop"));
        stopped.await();
    }

    private static void closeQuietly(AutoCloseable resource) {
        try {
            resource.close();
        } catch (Exception e) {
            log.warn("closing {} failed: {}", resource, e.toString());
        }
    }
}

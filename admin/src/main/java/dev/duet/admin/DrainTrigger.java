package dev.duet.admin;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * Starts a server's drain in the background for {@code POST /drain} and the MBean's {@code drain()}, returning once
 * the server reports draining (so a {@code /ready} right after answers 503), or after a second at most.
 */
final class DrainTrigger {
    private static final Logger log = LoggerFactory.getLogger(DrainTrigger.class);

    private DrainTrigger() {
    }

    static void start(AdminTarget target) {
        if (target.isDraining()) {
            return;
        }
        Thread thread = new Thread(() -> {
            try {
                target.drain();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                log.warn("draining {} {} failed: {}", target.role(), target.id(), e.toString());
            }
        }, target.role() + "-drain");
        thread.setDaemon(true);
        thread.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        while (!target.isDraining() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
    }
}

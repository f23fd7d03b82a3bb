package dev.duet.bench.chat;

import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Tells a load running in this JVM when the JIT has settled: a window in which the compiler threads used less than
 * {@link #QUIET_SHARE} of a core. HBase, the chat server and the load generator share this JVM and its two cores, so a
 * phase measured while C2 still compiles them measures the compiler too, and by a different amount each run. The
 * compilers' CPU comes from {@link ThreadCpu} (the JVM's own compilation-time figure is wall-clock time, which a busy
 * machine inflates). Bounded: after {@link #MAX_WINDOWS} windows it gives up and says so on stderr.
 */
final class JitWarmUp {
    private static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(3);
    private static final double QUIET_SHARE = 0.05;
    private static final int MAX_WINDOWS = 20;

    private final String phase;
    private final long started = System.nanoTime();
    private ThreadCpu windowStart = ThreadCpu.now();
    private int windows;
    private boolean settled;

    JitWarmUp(String phase) {
        this.phase = phase;
    }

    /** Call while the load runs; true once a window was quiet or the last window has passed. */
    boolean settled() {
        if (settled) {
            return true;
        }
        if (System.nanoTime() - windowStart.nanos() < WINDOW_NANOS) {
            return false;
        }
        ThreadCpu now = ThreadCpu.now();
        double share = now.cores(windowStart, ThreadCpu.Owner.JIT);
        windows++;
        if (share < QUIET_SHARE || windows >= MAX_WINDOWS) {
            settled = true;
            System.err.printf(Locale.ROOT,
                    "%s: warmed up for %.1f s, compilers at %.1f %% of a core in the last window%s%n", phase,
                    (now.nanos() - started) / 1e9, share * 100,
                    share < QUIET_SHARE ? "" : " (not quiet; measuring anyway)");
            return true;
        }
        windowStart = now;
        return false;
    }

    /** Sleeps until {@link #settled()}: for a load that runs on threads of its own. */
    void await() throws InterruptedException {
        while (!settled()) {
            Thread.sleep(100);
        }
    }
}

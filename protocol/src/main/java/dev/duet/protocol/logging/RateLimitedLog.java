package dev.duet.protocol.logging;

import org.slf4j.Logger;
import org.slf4j.event.Level;

import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * A log for events that can happen once per client — thousands a second when a chat server or ZooKeeper is down —
 * which writes at most one line per reason per interval (10 s by default). The events in between are only counted;
 * the next line of that reason says how many it stands for: {@code cannot open a stream to chat-2: refused (and 159
 * more in the last 10 s)}. Events for which the level is off cost a level check.
 *
 * <p>A reason is a key from a small fixed set (a constant, or a constant and a chat server id), never something per
 * client: one small counter is kept per reason for the life of the log.
 *
 * <p>Thread-safe and lock-free: a suppressed event is one clock read and one {@link LongAdder} increment, and of the
 * threads that find an interval over, one compare-and-set picks the one that writes the line.
 */
public final class RateLimitedLog {
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);

    private final Logger log;
    private final long intervalNanos;
    private final LongSupplier nanoTime;
    private final Map<String, Reason> reasons = new ConcurrentHashMap<>();

    public RateLimitedLog(Logger log) {
        this(log, DEFAULT_INTERVAL, System::nanoTime);
    }

    /** As {@link #RateLimitedLog(Logger)}, with the interval and the clock ({@link System#nanoTime()}) given. */
    public RateLimitedLog(Logger log, Duration interval, LongSupplier nanoTime) {
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval must be positive: " + interval);
        }
        this.log = log;
        this.intervalNanos = interval.toNanos();
        this.nanoTime = nanoTime;
    }

    public void warn(String reason, String format, Object... arguments) {
        log(Level.WARN, reason, format, arguments);
    }

    public void info(String reason, String format, Object... arguments) {
        log(Level.INFO, reason, format, arguments);
    }

    public void debug(String reason, String format, Object... arguments) {
        log(Level.DEBUG, reason, format, arguments);
    }

    private void log(Level level, String reason, String format, Object[] arguments) {
        if (!log.isEnabledForLevel(level)) {
            return;
        }
        long now = nanoTime.getAsLong();
        Reason state = reasons.computeIfAbsent(reason, r -> new Reason(now - intervalNanos));
        long last = state.lastLine.get();
        if (now - last < intervalNanos || !state.lastLine.compareAndSet(last, now)) {
            state.suppressed.increment();
            return;
        }
        long more = state.suppressed.sumThenReset();
        if (more == 0) {
            log.atLevel(level).log(format, arguments);
            return;
        }
        Object[] withCount = Arrays.copyOf(arguments, arguments.length + 2);
        withCount[arguments.length] = more;
        withCount[arguments.length + 1] = Math.max(1, TimeUnit.NANOSECONDS.toSeconds(now - last));
        log.atLevel(level).log(format + " (and {} more in the last {} s)", withCount);
    }

    /** When the last line of one reason was written, and the events since. */
    private static final class Reason {
        final AtomicLong lastLine;
        final LongAdder suppressed = new LongAdder();

        Reason(long lastLine) {
            this.lastLine = new AtomicLong(lastLine);
        }
    }
}

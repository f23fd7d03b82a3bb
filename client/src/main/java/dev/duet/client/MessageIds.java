package dev.duet.client;

import java.time.Clock;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Client message ids that increase byte-wise from one send to the next (milliseconds since the epoch, then a
 * counter within the millisecond, fixed-width hex) and differ between a sender's devices (a random tail). The server
 * stores an id above the sender's latest one without reading the couple's row first; any other id is still checked,
 * so a clock set back costs speed, never correctness.
 */
final class MessageIds {
    private static final int PER_MILLISECOND = 0x10000;

    private final Clock clock;
    private long millis;
    private int counter;

    MessageIds(Clock clock) {
        this.clock = clock;
    }

    synchronized String next() {
        long now = clock.millis();
        if (now > millis) {
            millis = now;
            counter = 0;
        } else if (++counter == PER_MILLISECOND) {
            millis++;
            counter = 0;
        }
        return String.format(Locale.ROOT, "%012x%04x-%016x", millis, counter, ThreadLocalRandom.current().nextLong());
    }
}

package dev.duet.client;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MessageIdsTest {
    /** A clock the test moves by hand. */
    private static final class HandClock extends Clock {
        long millis;

        @Override
        public long millis() {
            return millis;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    @Test
    void idsIncreaseByteWiseWhetherTheClockStandsStillOrGoesBack() {
        HandClock clock = new HandClock();
        clock.millis = 1_700_000_000_000L;
        MessageIds ids = new MessageIds(clock);
        String previous = ids.next();
        for (int i = 0; i < 200_000; i++) {
            if (i == 1_000) {
                clock.millis -= 60_000;
            } else if (i % 5_000 == 0) {
                clock.millis += 1;
            }
            String next = ids.next();
            assertEquals(previous.length(), next.length(), "fixed width");
            assertTrue(next.compareTo(previous) > 0, next + " after " + previous);
            previous = next;
        }
    }

    @Test
    void twoDevicesInTheSameMillisecondGetDifferentIds() {
        Clock clock = Clock.fixed(Instant.ofEpochMilli(1_700_000_000_000L), ZoneOffset.UTC);
        Set<String> seen = new HashSet<>();
        for (int device = 0; device < 100; device++) {
            assertTrue(seen.add(new MessageIds(clock).next()));
        }
    }
}

package dev.duet.protocol.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RateLimitedLogTest {
    private final AtomicLong clock = new AtomicLong(123_456_789L);
    private final Logger logger = (Logger) LoggerFactory.getLogger(RateLimitedLogTest.class);
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final RateLimitedLog log = new RateLimitedLog(logger, Duration.ofSeconds(10), clock::get);

    @BeforeEach
    void record() {
        lines.start();
        logger.addAppender(lines);
        logger.setLevel(Level.INFO);
    }

    @AfterEach
    void stopRecording() {
        logger.detachAppender(lines);
        logger.setLevel(null);
    }

    private void advanceSeconds(long seconds) {
        clock.addAndGet(TimeUnit.SECONDS.toNanos(seconds));
    }

    private List<String> messages() {
        return lines.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test
    void oneLinePerIntervalCountingTheEventsItStandsFor() {
        for (int i = 0; i < 160; i++) {
            log.info("open", "cannot open a stream to {}: {}", "chat-2", "refused " + i);
        }
        assertEquals(List.of("cannot open a stream to chat-2: refused 0"), messages());
        advanceSeconds(9);
        log.info("open", "cannot open a stream to {}: {}", "chat-2", "still inside the interval");
        assertEquals(1, messages().size());
        advanceSeconds(3);
        log.info("open", "cannot open a stream to {}: {}", "chat-2", "refused");
        assertEquals("cannot open a stream to chat-2: refused (and 160 more in the last 12 s)", messages().get(1));
        advanceSeconds(10);
        log.info("open", "cannot open a stream to {}: {}", "chat-2", "refused");
        assertEquals("cannot open a stream to chat-2: refused", messages().get(2), "nothing was left out since");
    }

    @Test
    void reasonsAreLimitedApartAndKeepTheirLevel() {
        log.info("open", "cannot open a stream");
        log.warn("no_owner", "no chat server for {}", "couple-1");
        log.warn("no_owner", "no chat server for {}", "couple-2");
        assertEquals(List.of("cannot open a stream", "no chat server for couple-1"), messages());
        assertEquals(Level.WARN, lines.list.get(1).getLevel());
    }

    @Test
    void aLevelThatIsOffIsNeitherLoggedNorCounted() {
        log.debug("refused", "refusing {}", "client");
        logger.setLevel(Level.DEBUG);
        log.debug("refused", "refusing {}", "client");
        assertEquals(List.of("refusing client"), messages());
    }

    @Test
    void concurrentEventsGiveOneLineAndAreAllCounted() throws Exception {
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread thread = new Thread(() -> {
                for (int i = 0; i < 10_000; i++) {
                    log.info("open", "cannot open a stream");
                }
            });
            thread.start();
            threads.add(thread);
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertEquals(1, messages().size());
        advanceSeconds(10);
        log.info("open", "cannot open a stream");
        assertEquals("cannot open a stream (and 39999 more in the last 10 s)", messages().get(1));
    }
}

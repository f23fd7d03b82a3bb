package dev.duet.chat.testing;

import dev.duet.localhbase.LocalHBase;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One in-process standalone HBase (and its ZooKeeper) for all the tests of a JVM: starting one takes about 13 s, so
 * test classes share it and use their own couple ids or tables. Stopped when the JVM exits.
 */
public final class SharedHBase {
    private static LocalHBase instance;

    private SharedHBase() {
    }

    public static synchronized LocalHBase get() {
        if (instance == null) {
            try {
                Path dir = Files.createTempDirectory("duet-test-hbase");
                instance = LocalHBase.start(dir, 0, Duration.ofMinutes(3));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            LocalHBase started = instance;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    started.close();
                } catch (IOException ignored) {
                    // the JVM is going away
                }
            }, "shared-hbase-stop"));
        }
        return instance;
    }
}

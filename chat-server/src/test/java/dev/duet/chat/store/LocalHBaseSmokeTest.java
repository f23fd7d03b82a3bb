package dev.duet.chat.store;

import org.apache.hadoop.hbase.client.ConnectionFactory;
import org.apache.hadoop.hbase.client.AsyncConnection;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertNotNull;

class LocalHBaseSmokeTest {
    @Test
    void starts() throws Exception {
        Path dir = Files.createTempDirectory("hbase");
        long t0 = System.nanoTime();
        try (LocalHBase hbase = LocalHBase.start(dir, 0, Duration.ofMinutes(2))) {
            System.out.println("started in ms " + (System.nanoTime() - t0) / 1_000_000);
            try (AsyncConnection c = ConnectionFactory.createAsyncConnection(hbase.clientConfiguration()).get()) {
                assertNotNull(c.getAdmin().listTableNames().get());
            }
        }
    }
}

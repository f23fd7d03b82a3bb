package dev.duet.bench.chat;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.client.BufferedMutator;
import org.apache.hadoop.hbase.client.ColumnFamilyDescriptorBuilder;
import org.apache.hadoop.hbase.client.Connection;
import org.apache.hadoop.hbase.client.ConnectionFactory;
import org.apache.hadoop.hbase.client.Put;
import org.apache.hadoop.hbase.client.TableDescriptorBuilder;
import org.apache.hadoop.hbase.util.Bytes;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * What HBase itself absorbs: {@link BufferedMutator} puts of one 140-byte cell (a 100-byte chat message and its
 * envelope) as fast as one writer can, into a table of its own, nothing waiting for any single write. Rows start with
 * four spread bytes, as couples' rows do, so a split table gets puts in every region.
 */
public final class RawPuts {
    private static final int ROWS = 5000;

    private RawPuts() {
    }

    /** The puts of the measured seconds, and this JVM's CPU by owner at their start and end. */
    public record Measured(long puts, ThreadCpu cpuAtStart, ThreadCpu cpuAtEnd) {
        public double perSecond() {
            return puts / ((cpuAtEnd.nanos() - cpuAtStart.nanos()) / 1e9);
        }
    }

    /**
     * Creates {@code name} split at {@code splits}, writes until this JVM's JIT has settled (only the client's, when
     * HBase runs in processes of its own), then for {@code seconds}, and returns puts per second over those.
     */
    public static double rate(Configuration hbase, TableName name, byte[][] splits, int seconds) throws Exception {
        return measure(hbase, name, splits, seconds).perSecond();
    }

    /** {@link #rate}, with the CPU it took. */
    public static Measured measure(Configuration hbase, TableName name, byte[][] splits, int seconds)
            throws Exception {
        try (Connection connection = ConnectionFactory.createConnection(hbase)) {
            connection.getAdmin().createTable(TableDescriptorBuilder.newBuilder(name)
                    .setColumnFamily(ColumnFamilyDescriptorBuilder.of("m")).build(), splits);
            byte[] family = Bytes.toBytes("m");
            byte[] value = new byte[140];
            byte[][] rows = new byte[ROWS][];
            for (int i = 0; i < ROWS; i++) {
                rows[i] = Bytes.add(Bytes.toBytes(i * 0x9E3779B9), Bytes.toBytes("row-" + i));
            }
            long puts = 0;
            long measuredFrom;
            ThreadCpu cpuAtStart;
            try (BufferedMutator mutator = connection.getBufferedMutator(name)) {
                JitWarmUp warmUp = new JitWarmUp("raw puts");
                while (!warmUp.settled()) {
                    puts = putBatch(mutator, rows, family, value, puts);
                }
                mutator.flush();
                measuredFrom = puts;
                cpuAtStart = ThreadCpu.now();
                long deadline = cpuAtStart.nanos() + TimeUnit.SECONDS.toNanos(seconds);
                while (System.nanoTime() < deadline) {
                    puts = putBatch(mutator, rows, family, value, puts);
                }
                mutator.flush();
            }
            return new Measured(puts - measuredFrom, cpuAtStart, ThreadCpu.now());
        }
    }

    /** A thousand puts, each a new column of one of the rows in turn; returns the count after them. */
    private static long putBatch(BufferedMutator mutator, byte[][] rows, byte[] family, byte[] value, long puts)
            throws IOException {
        for (int i = 0; i < 1000; i++, puts++) {
            mutator.mutate(new Put(rows[(int) (puts % ROWS)]).addColumn(family, Bytes.toBytes(puts), value));
        }
        return puts;
    }
}

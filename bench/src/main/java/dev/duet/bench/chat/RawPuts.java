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

    /** Creates {@code name} split at {@code splits}, writes for {@code seconds}, returns puts per second. */
    public static double rate(Configuration hbase, TableName name, byte[][] splits, int seconds) throws Exception {
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
            long started = System.nanoTime();
            long deadline = started + TimeUnit.SECONDS.toNanos(seconds);
            try (BufferedMutator mutator = connection.getBufferedMutator(name)) {
                while (System.nanoTime() < deadline) {
                    for (int i = 0; i < 1000; i++, puts++) {
                        mutator.mutate(new Put(rows[(int) (puts % ROWS)]).addColumn(family, Bytes.toBytes(puts), value));
                    }
                }
                mutator.flush();
            }
            return puts / ((System.nanoTime() - started) / 1e9);
        }
    }
}

package dev.duet.chat.store;

import dev.duet.thrift.chat.Message;
import org.apache.hadoop.hbase.client.Get;
import org.apache.hadoop.hbase.client.Result;
import org.apache.hadoop.hbase.filter.ColumnRangeFilter;
import org.apache.hadoop.hbase.filter.FilterList;
import org.apache.hadoop.hbase.filter.KeyOnlyFilter;
import org.apache.hadoop.hbase.util.Bytes;

import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The messages of a row above its fence's checkpoint, read to learn the row's last seq (and, for an append, the
 * senders' latest ids). The owner keeps the tail shorter than {@link AppendPlan#CHECKPOINT_EVERY}; a longer one, or one
 * with a gap, is no row this store wrote, and reading it fails.
 */
final class RowTail {
    /** Most messages a tail may hold: far above what an owner leaves, low enough to bound one read. */
    static final int LIMIT = 4 * AppendPlan.CHECKPOINT_EVERY;

    private RowTail() {
    }

    /** The messages of {@code row} from {@code fromSeq} on; with {@code keysOnly}, their seqs alone. */
    static Get get(byte[] row, long fromSeq, boolean keysOnly) {
        ColumnRangeFilter above = new ColumnRangeFilter(CoupleRow.seq(fromSeq), true, null, false);
        Get get = new Get(row).addFamily(CoupleRow.MESSAGES).setMaxResultsPerColumnFamily(LIMIT + 1);
        return get.setFilter(keysOnly ? new FilterList(above, new KeyOnlyFilter()) : above);
    }

    /** The last seq of a row whose checkpoint is {@code checkpoint} and whose tail {@link #get} read as {@code tail}. */
    static long lastSeq(long checkpoint, Result tail) {
        long seq = checkpoint;
        for (byte[] qualifier : cells(tail).keySet()) {
            seq = next(seq, qualifier);
        }
        return seq;
    }

    /** The row whose fence is {@code fence} (stored as {@code fenceBytes}) and whose tail {@link #get} read. */
    static KnownRow row(Fence fence, byte[] fenceBytes, Result tail) {
        LatestClientIds ids = fence.latest();
        long seq = fence.checkpoint();
        for (Map.Entry<byte[], byte[]> cell : cells(tail).entrySet()) {
            seq = next(seq, cell.getKey());
            if (ids != null) {
                Message message = HBaseChatStore.decode(cell.getValue());
                ids = ids.with(message.getSenderId(), message.getClientMsgId());
            }
        }
        return new KnownRow(fence, fenceBytes, seq, ids);
    }

    private static NavigableMap<byte[], byte[]> cells(Result tail) {
        NavigableMap<byte[], byte[]> cells = tail.getFamilyMap(CoupleRow.MESSAGES);
        if (cells == null) {
            return new TreeMap<>(Bytes.BYTES_COMPARATOR);
        }
        if (cells.size() > LIMIT) {
            throw new IllegalStateException("a row with more than " + LIMIT + " messages above its checkpoint");
        }
        return cells;
    }

    private static long next(long previous, byte[] qualifier) {
        long seq = qualifier.length == Long.BYTES ? Bytes.toLong(qualifier) : -1;
        if (seq != previous + 1) {
            throw new IllegalStateException("a row whose messages skip from seq " + previous + " to "
                    + Bytes.toStringBinary(qualifier));
        }
        return seq;
    }
}

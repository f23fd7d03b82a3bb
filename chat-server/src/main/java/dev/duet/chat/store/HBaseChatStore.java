package dev.duet.chat.store;

import dev.duet.thrift.chat.Message;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hbase.HConstants;
import org.apache.hadoop.hbase.NamespaceDescriptor;
import org.apache.hadoop.hbase.NamespaceExistException;
import org.apache.hadoop.hbase.TableExistsException;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.client.AsyncConnection;
import org.apache.hadoop.hbase.client.AsyncTable;
import org.apache.hadoop.hbase.client.ColumnFamilyDescriptor;
import org.apache.hadoop.hbase.client.ColumnFamilyDescriptorBuilder;
import org.apache.hadoop.hbase.client.ConnectionFactory;
import org.apache.hadoop.hbase.client.Get;
import org.apache.hadoop.hbase.client.Put;
import org.apache.hadoop.hbase.client.Result;
import org.apache.hadoop.hbase.client.TableDescriptorBuilder;
import org.apache.hadoop.hbase.filter.ColumnRangeFilter;
import org.apache.hadoop.hbase.util.Bytes;
import org.apache.thrift.TDeserializer;
import org.apache.thrift.TException;
import org.apache.thrift.TSerializer;
import org.apache.thrift.protocol.TCompactProtocol;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Messages, idempotency keys and read marks in HBase, one row per couple ({@link CoupleRow} has the layout), through
 * the asynchronous client: no call blocks the caller's thread.
 *
 * <h3>Appends</h3>
 * One append writes a batch of messages of one couple with a single atomic row mutation guarded by the row's
 * {@code last_seq}: read {@code last_seq} and the batch's idempotency keys, give the new messages the next sequence
 * numbers, and write messages, keys and the new {@code last_seq} together only if {@code last_seq} is still what was
 * read. A writer that lost the check (another chat server appending for the same couple during a ring change) reads
 * again and retries, so sequence numbers never repeat and never skip. A client message id already stored returns its
 * first seq: a retry never duplicates a message.
 */
public final class HBaseChatStore implements Closeable {
    private static final int MESSAGE_BYTES_LIMIT = 1 << 20;
    /** Most couples in one append round: bounds one multi-request's size. */
    private static final int MAX_ROUND = 1000;

    private final AsyncConnection connection;
    private final AsyncTable<?> table;
    private final AppendRounds rounds;

    private HBaseChatStore(AsyncConnection connection, StoreSettings settings) {
        this.connection = connection;
        this.table = connection.getTableBuilder(tableName(settings))
                .setOperationTimeout(settings.operationTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .build();
        this.rounds = new AppendRounds(table, settings.appendAttempts(), MAX_ROUND);
    }

    private static TableName tableName(StoreSettings settings) {
        return TableName.valueOf(settings.namespace(), settings.table());
    }

    /** Connects, creating the namespace and table if they do not exist. */
    public static CompletableFuture<HBaseChatStore> open(Configuration hbase, StoreSettings settings) {
        Configuration conf = new Configuration(hbase);
        conf.setLong(HConstants.HBASE_CLIENT_OPERATION_TIMEOUT, settings.operationTimeout().toMillis());
        return ConnectionFactory.createAsyncConnection(conf)
                .thenCompose(connection -> createSchema(connection, settings)
                        .thenApply(created -> new HBaseChatStore(connection, settings))
                        .whenComplete((store, failure) -> {
                            if (failure != null) {
                                closeQuietly(connection);
                            }
                        }));
    }

    private static CompletableFuture<Void> createSchema(AsyncConnection connection, StoreSettings settings) {
        var admin = connection.getAdmin();
        TableName name = tableName(settings);
        return admin.createNamespace(NamespaceDescriptor.create(settings.namespace()).build())
                .exceptionally(ignoreIf(NamespaceExistException.class))
                .thenCompose(ignored -> admin.tableExists(name))
                .thenCompose(exists -> exists ? CompletableFuture.completedFuture(null) : admin.createTable(
                        TableDescriptorBuilder.newBuilder(name)
                                .setColumnFamily(family(CoupleRow.MESSAGES))
                                .setColumnFamily(family(CoupleRow.IDEMPOTENCY))
                                .setColumnFamily(family(CoupleRow.STATE))
                                .build()).exceptionally(ignoreIf(TableExistsException.class)));
    }

    private static ColumnFamilyDescriptor family(byte[] name) {
        return ColumnFamilyDescriptorBuilder.newBuilder(name).setMaxVersions(1).build();
    }

    private static <T> Function<Throwable, T> ignoreIf(Class<? extends Throwable> expected) {
        return failure -> {
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            if (expected.isInstance(cause)) {
                return null;
            }
            throw failure instanceof CompletionException completion ? completion : new CompletionException(failure);
        };
    }

    /** The couple's last seq and the read marks of {@code userId} and {@code partnerId}. */
    public CompletableFuture<CoupleState> state(String coupleId, String userId, String partnerId) {
        Get get = new Get(CoupleRow.key(coupleId))
                .addColumn(CoupleRow.STATE, CoupleRow.LAST_SEQ)
                .addColumn(CoupleRow.STATE, CoupleRow.readMark(userId))
                .addColumn(CoupleRow.STATE, CoupleRow.readMark(partnerId));
        return table.get(get).thenApply(result -> new CoupleState(
                longOf(result, CoupleRow.STATE, CoupleRow.LAST_SEQ),
                longOf(result, CoupleRow.STATE, CoupleRow.readMark(userId)),
                longOf(result, CoupleRow.STATE, CoupleRow.readMark(partnerId))));
    }

    /** The couple's highest seq, 0 when it has no message. */
    public CompletableFuture<Long> lastSeq(String coupleId) {
        return table.get(new Get(CoupleRow.key(coupleId)).addColumn(CoupleRow.STATE, CoupleRow.LAST_SEQ))
                .thenApply(result -> longOf(result, CoupleRow.STATE, CoupleRow.LAST_SEQ));
    }

    /**
     * Appends {@code requests} (all for {@code coupleId}) in order and returns one result per request, in the same
     * order, once HBase has accepted them. Appends of many couples share HBase requests ({@link AppendRounds}).
     */
    public CompletableFuture<List<AppendResult>> append(String coupleId, List<AppendRequest> requests) {
        return rounds.append(coupleId, requests);
    }

    /** Messages with {@code fromSeq <= seq <= toSeq}, oldest first. */
    public CompletableFuture<List<Message>> range(String coupleId, long fromSeq, long toSeq) {
        if (fromSeq > toSeq) {
            return CompletableFuture.completedFuture(List.of());
        }
        Get get = new Get(CoupleRow.key(coupleId)).addFamily(CoupleRow.MESSAGES)
                .setFilter(new ColumnRangeFilter(CoupleRow.seq(fromSeq), true, CoupleRow.seq(toSeq), true));
        return table.get(get).thenApply(HBaseChatStore::messagesOf);
    }

    /** Stores {@code userId}'s read mark. */
    public CompletableFuture<Void> markRead(String coupleId, String userId, long seq) {
        return table.put(new Put(CoupleRow.key(coupleId))
                .addColumn(CoupleRow.STATE, CoupleRow.readMark(userId), CoupleRow.seq(seq)));
    }

    private static List<Message> messagesOf(Result result) {
        NavigableMap<byte[], byte[]> cells = result.getFamilyMap(CoupleRow.MESSAGES);
        List<Message> messages = new ArrayList<>(cells == null ? 0 : cells.size());
        if (cells != null) {
            for (byte[] value : cells.values()) {
                messages.add(decode(value));
            }
        }
        return messages;
    }

    static byte[] encode(Message message) {
        try {
            return new TSerializer(new TCompactProtocol.Factory()).serialize(message);
        } catch (TException e) {
            throw new IllegalStateException("a message did not serialize", e);
        }
    }

    static Message decode(byte[] value) {
        if (value.length > MESSAGE_BYTES_LIMIT) {
            throw new IllegalStateException("a stored message is larger than " + MESSAGE_BYTES_LIMIT + " bytes");
        }
        Message message = new Message();
        try {
            new TDeserializer(new TCompactProtocol.Factory()).deserialize(message, value);
        } catch (TException e) {
            throw new IllegalStateException("a stored message does not parse (" + value.length + " bytes)", e);
        }
        return message;
    }

    static long longOf(Result result, byte[] family, byte[] qualifier) {
        byte[] value = result.getValue(family, qualifier);
        return value == null ? 0 : Bytes.toLong(value);
    }

    @Override
    public void close() throws IOException {
        connection.close();
    }

    private static void closeQuietly(AsyncConnection connection) {
        try {
            connection.close();
        } catch (IOException ignored) {
            // already failing: the first failure is the one reported
        }
    }
}

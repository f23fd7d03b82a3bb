package dev.duet.chat.store;

import dev.duet.thrift.chat.Message;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hbase.HConstants;
import org.apache.hadoop.hbase.MemoryCompactionPolicy;
import org.apache.hadoop.hbase.NamespaceDescriptor;
import org.apache.hadoop.hbase.NamespaceExistException;
import org.apache.hadoop.hbase.TableExistsException;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.client.AsyncConnection;
import org.apache.hadoop.hbase.client.AsyncTable;
import org.apache.hadoop.hbase.client.CheckAndMutate;
import org.apache.hadoop.hbase.client.ColumnFamilyDescriptor;
import org.apache.hadoop.hbase.client.ColumnFamilyDescriptorBuilder;
import org.apache.hadoop.hbase.client.ConnectionFactory;
import org.apache.hadoop.hbase.client.Get;
import org.apache.hadoop.hbase.client.Put;
import org.apache.hadoop.hbase.client.Result;
import org.apache.hadoop.hbase.client.TableDescriptor;
import org.apache.hadoop.hbase.client.TableDescriptorBuilder;
import org.apache.hadoop.hbase.filter.ColumnRangeFilter;
import org.apache.hadoop.hbase.util.Bytes;
import org.apache.thrift.TDeserializer;
import org.apache.thrift.TException;
import org.apache.thrift.TSerializer;
import org.apache.thrift.protocol.TCompactProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
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
 * <h3>Ownership</h3>
 * A chat server {@link #claim claims} a couple before it appends: the row's {@link Fence} cell names the owner and the
 * ring view it claimed from, and a claim replaces it only when it {@linkplain OwnerClaim#supersedes supersedes} the
 * stored one, with a check that the cell is still what was read.
 *
 * <h3>Appends</h3>
 * One append writes a batch of messages of one couple with a single atomic row mutation guarded by the fence: read the
 * fence and the batch's idempotency keys, fail if the fence holds another claim than the appender's, give the new
 * messages the next sequence numbers, and write messages, keys and the fence with its new {@code lastSeq} together
 * only if the fence is still exactly what was read. So sequence numbers never repeat and never skip, and once another
 * owner has claimed the couple, no append of the old one can pass its check: a stale owner acknowledges nothing. A
 * sender's client message id already stored returns its first seq: a retry never duplicates a message.
 */
public final class HBaseChatStore implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(HBaseChatStore.class);
    private static final int MESSAGE_BYTES_LIMIT = 1 << 20;
    /** The row {@link StoreProbe} reads: no couple has this id (couple ids come from signed tokens). */
    static final String PROBE_COUPLE = "\u0000probe";
    /** Most couples in one append round: bounds one multi-request's size. */
    private static final int MAX_ROUND = 1000;
    /** Couples whose row an owner remembers after writing it ({@link KnownRow}, about 200 bytes each). */
    private static final int KNOWN_ROWS = 100_000;

    private final AsyncConnection connection;
    private final AsyncTable<?> table;
    private final AppendRounds rounds;

    private final int attempts;

    private HBaseChatStore(AsyncConnection connection, StoreSettings settings, boolean endpoint,
                           MeterRegistry registry) {
        this.connection = connection;
        this.table = connection.getTableBuilder(tableName(settings))
                .setOperationTimeout(settings.operationTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .build();
        this.attempts = settings.appendAttempts();
        FencedWrites writes = new FencedWrites(table, connection.getRegionLocator(tableName(settings)), endpoint,
                registry);
        this.rounds = new AppendRounds(table, writes, settings.appendAttempts(), MAX_ROUND, KNOWN_ROWS, registry);
    }

    public static TableName tableName(StoreSettings settings) {
        return TableName.valueOf(settings.namespace(), settings.table());
    }

    /** Connects, creating the namespace and table if they do not exist; the append pipeline's meters go to registry. */
    public static CompletableFuture<HBaseChatStore> open(Configuration hbase, StoreSettings settings,
                                                         MeterRegistry registry) {
        Configuration conf = new Configuration(hbase);
        conf.setLong(HConstants.HBASE_CLIENT_OPERATION_TIMEOUT, settings.operationTimeout().toMillis());
        return ConnectionFactory.createAsyncConnection(conf)
                .thenCompose(connection -> createSchema(connection, settings)
                        .thenCompose(created -> hasEndpoint(connection, settings))
                        .thenApply(endpoint -> new HBaseChatStore(connection, settings, endpoint, registry))
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
                .thenCompose(exists -> exists ? CompletableFuture.completedFuture(null)
                        : admin.createTable(tableDescriptor(settings))
                        .exceptionally(ignoreIf(TableExistsException.class)));
    }

    /** Whether the table has the coprocessor that writes a region's fenced appends in one call. */
    private static CompletableFuture<Boolean> hasEndpoint(AsyncConnection connection, StoreSettings settings) {
        return connection.getAdmin().getDescriptor(tableName(settings)).thenApply(descriptor -> {
            boolean endpoint = descriptor.hasCoprocessor(FencedWrites.ENDPOINT);
            if (!endpoint) {
                log.warn("table {} has no {}: each append is written as a guarded mutation of its own, which is"
                        + " several times slower (docs/operations.md says how to add it)", descriptor.getTableName(),
                        FencedWrites.ENDPOINT);
            }
            return endpoint;
        });
    }

    /**
     * The table the store creates when it is missing. An operator who wants it split in advance creates it so, with
     * {@link #splitKeys} (couples are spread evenly over the row keys' first four bytes).
     */
    public static TableDescriptor tableDescriptor(StoreSettings settings) {
        try {
            return TableDescriptorBuilder.newBuilder(tableName(settings))
                    .setColumnFamily(family(CoupleRow.MESSAGES))
                    .setColumnFamily(family(CoupleRow.IDEMPOTENCY))
                    .setColumnFamily(family(CoupleRow.STATE))
                    .setCoprocessor(FencedWrites.ENDPOINT)
                    .build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Keys that split the table into {@code regions} regions holding about as many couples each. */
    public static byte[][] splitKeys(int regions) {
        byte[][] keys = new byte[regions - 1][];
        for (int i = 1; i < regions; i++) {
            keys[i - 1] = Bytes.toBytes((int) ((1L << 32) * i / regions));
        }
        return keys;
    }

    /**
     * A family of the table. In-memory compaction keeps the memstore's active skip list small (it is flattened into an
     * immutable segment every chunk, 2 MB by default): a round's inserts, which all run on one region-server handler,
     * were most of that handler's time in a skip list holding every couple's recent cells (docs/benchmarks.md).
     */
    private static ColumnFamilyDescriptor family(byte[] name) {
        return ColumnFamilyDescriptorBuilder.newBuilder(name).setMaxVersions(1)
                .setInMemoryCompaction(MemoryCompactionPolicy.BASIC).build();
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
        Get get = withLastSeq(new Get(CoupleRow.key(coupleId)))
                .addColumn(CoupleRow.STATE, CoupleRow.readMark(userId))
                .addColumn(CoupleRow.STATE, CoupleRow.readMark(partnerId));
        return table.get(get).thenApply(result -> new CoupleState(
                lastSeqOf(result),
                longOf(result, CoupleRow.STATE, CoupleRow.readMark(userId)),
                longOf(result, CoupleRow.STATE, CoupleRow.readMark(partnerId))));
    }

    /** The couple's highest seq, 0 when it has no message. */
    public CompletableFuture<Long> lastSeq(String coupleId) {
        return table.get(withLastSeq(new Get(CoupleRow.key(coupleId)))).thenApply(HBaseChatStore::lastSeqOf);
    }

    /** Adds what {@link #lastSeqOf} reads. */
    private static Get withLastSeq(Get get) {
        return Fence.addTo(get).addColumn(CoupleRow.STATE, CoupleRow.LAST_SEQ);
    }

    /**
     * The fence's last seq; for a row never claimed, what the first version kept in {@code s:last_seq} (0 when
     * absent).
     */
    private static long lastSeqOf(Result result) {
        Fence fence = Fence.of(result);
        return fence != null ? fence.lastSeq() : longOf(result, CoupleRow.STATE, CoupleRow.LAST_SEQ);
    }

    /**
     * Makes {@code claim} the couple's owner and returns the fence it wrote (or found: the couple was claimed so
     * already). Fails with {@link OwnershipLostException} when the row holds a claim that {@code claim} does not
     * supersede — unless {@code takeOver} and the stored claim is another server's from the same ring view: then the
     * claim is made one generation above it (a session was routed here within that view, so this server is the one
     * the presenters route to now).
     */
    public CompletableFuture<Fence> claim(String coupleId, OwnerClaim claim, boolean takeOver) {
        return claim(coupleId, claim, takeOver, attempts);
    }

    private CompletableFuture<Fence> claim(String coupleId, OwnerClaim wanted, boolean takeOver, int attemptsLeft) {
        byte[] row = CoupleRow.key(coupleId);
        return table.get(withLastSeq(new Get(row))).thenCompose(current -> {
            byte[] stored = current.getValue(CoupleRow.STATE, CoupleRow.FENCE);
            CheckAndMutate.Builder guard = CheckAndMutate.newBuilder(row);
            Fence fence;
            if (stored == null) {
                // A row from before fencing, or a new couple: its last_seq (0 when absent) carries over.
                fence = Fence.first(wanted, lastSeqOf(current));
                guard.ifNotExists(CoupleRow.STATE, CoupleRow.FENCE);
            } else {
                Fence previous = Fence.of(current);
                OwnerClaim held = previous.claim();
                if (held.sameViewAs(wanted)) {
                    return CompletableFuture.completedFuture(previous);
                }
                OwnerClaim claim = wanted;
                if (!claim.supersedes(held)) {
                    boolean sameView = held.incarnation() == claim.incarnation()
                            && held.ringEpoch() == claim.ringEpoch();
                    if (!takeOver || !sameView) {
                        return CompletableFuture.failedFuture(new OwnershipLostException(coupleId, held));
                    }
                    claim = claim.over(held);
                }
                fence = previous.claimedBy(claim);
                guard.ifEquals(CoupleRow.STATE, CoupleRow.FENCE, stored);
            }
            Put put = new Put(row).addColumn(CoupleRow.STATE, CoupleRow.FENCE, fence.toBytes());
            return table.checkAndMutate(guard.build(put)).thenCompose(result -> {
                if (result.isSuccess()) {
                    return CompletableFuture.completedFuture(fence);
                }
                if (attemptsLeft <= 1) {
                    return CompletableFuture.failedFuture(new ConcurrentAppendException("the fence of couple "
                            + coupleId + " kept changing under " + attempts + " claims"));
                }
                return claim(coupleId, wanted, takeOver, attemptsLeft - 1);
            });
        });
    }

    /**
     * Appends {@code requests} (all for {@code coupleId}) in order for the owner {@code claim} and returns one result
     * per request, in the same order, once HBase has accepted them. Fails with {@link OwnershipLostException} when the
     * couple's fence holds another claim. Appends of many couples share HBase requests ({@link AppendRounds}).
     */
    public CompletableFuture<List<AppendResult>> append(String coupleId, OwnerClaim claim,
                                                        List<AppendRequest> requests) {
        return rounds.append(coupleId, claim, requests);
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

    /**
     * Moves {@code userId}'s read mark forward to {@code seq}, or to the couple's last seq if {@code seq} is beyond it,
     * and returns the mark now stored. A mark never moves back: a lower {@code seq} leaves it, and returns it, as is.
     */
    public CompletableFuture<Long> markRead(String coupleId, String userId, long seq) {
        return markRead(coupleId, userId, seq, attempts);
    }

    private CompletableFuture<Long> markRead(String coupleId, String userId, long seq, int attemptsLeft) {
        byte[] row = CoupleRow.key(coupleId);
        byte[] qualifier = CoupleRow.readMark(userId);
        return table.get(withLastSeq(new Get(row)).addColumn(CoupleRow.STATE, qualifier)).thenCompose(current -> {
            byte[] stored = current.getValue(CoupleRow.STATE, qualifier);
            long mark = stored == null ? 0 : Bytes.toLong(stored);
            long wanted = Math.min(seq, lastSeqOf(current));
            if (wanted <= mark) {
                return CompletableFuture.completedFuture(mark);
            }
            CheckAndMutate.Builder guard = CheckAndMutate.newBuilder(row);
            if (stored == null) {
                guard.ifNotExists(CoupleRow.STATE, qualifier);
            } else {
                guard.ifEquals(CoupleRow.STATE, qualifier, stored);
            }
            return table.checkAndMutate(guard.build(new Put(row).addColumn(CoupleRow.STATE, qualifier,
                    CoupleRow.seq(wanted)))).thenCompose(result -> {
                if (result.isSuccess()) {
                    return CompletableFuture.completedFuture(wanted);
                }
                if (attemptsLeft <= 1) {
                    return CompletableFuture.failedFuture(new ConcurrentAppendException("the read mark of "
                            + userId + " in couple " + coupleId + " kept changing"));
                }
                return markRead(coupleId, userId, seq, attemptsLeft - 1);
            });
        });
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

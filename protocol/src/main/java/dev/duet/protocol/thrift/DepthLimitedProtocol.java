package dev.duet.protocol.thrift;

import org.apache.thrift.TException;
import org.apache.thrift.protocol.TList;
import org.apache.thrift.protocol.TMap;
import org.apache.thrift.protocol.TProtocol;
import org.apache.thrift.protocol.TProtocolDecorator;
import org.apache.thrift.protocol.TProtocolException;
import org.apache.thrift.protocol.TSet;
import org.apache.thrift.protocol.TStruct;

/**
 * Refuses input nested deeper than a limit: structs, lists, sets and maps each count one level. Generated code
 * recurses once per level, and so does Thrift's skipping of unknown fields (which has no limit of its own), so a
 * few kilobytes nested 20,000 levels deep would otherwise overflow the stack. Past the limit a read throws
 * {@link TProtocolException#DEPTH_LIMIT}.
 */
final class DepthLimitedProtocol extends TProtocolDecorator {
    private final int maxDepth;
    private int depth;

    DepthLimitedProtocol(TProtocol protocol, int maxDepth) {
        super(protocol);
        this.maxDepth = maxDepth;
    }

    private void enter() throws TProtocolException {
        if (++depth > maxDepth) {
            throw new TProtocolException(TProtocolException.DEPTH_LIMIT, "nested deeper than " + maxDepth + " levels");
        }
    }

    @Override
    public TStruct readStructBegin() throws TException {
        enter();
        return super.readStructBegin();
    }

    @Override
    public void readStructEnd() throws TException {
        super.readStructEnd();
        depth--;
    }

    @Override
    public TList readListBegin() throws TException {
        enter();
        return super.readListBegin();
    }

    @Override
    public void readListEnd() throws TException {
        super.readListEnd();
        depth--;
    }

    @Override
    public TSet readSetBegin() throws TException {
        enter();
        return super.readSetBegin();
    }

    @Override
    public void readSetEnd() throws TException {
        super.readSetEnd();
        depth--;
    }

    @Override
    public TMap readMapBegin() throws TException {
        enter();
        return super.readMapBegin();
    }

    @Override
    public void readMapEnd() throws TException {
        super.readMapEnd();
        depth--;
    }
}

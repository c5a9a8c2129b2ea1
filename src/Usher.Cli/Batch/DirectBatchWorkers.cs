using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Usher.Core.Tensors;
using Usher.Engine;

namespace Usher.Cli.Batch;

/// <summary>
/// The model's instances as threads of their own, each running batches through the engine's fast
/// path (<see cref="ModelSession"/>: the input and output bound once to ONNX Runtime's buffers, the
/// run on the calling thread) straight into the chunk's output buffer. Per batch: no request, no
/// queue or thread hand-off, no output tensor; the outputs of a whole chunk are one buffer that the
/// writer reads and <see cref="ChunkScorer"/> gives back once the chunk is encoded. For models of
/// one input and one output of fixed-size types (<c>mlp-large</c>); others go through the engine's
/// request path. Workers take chunks in the order they were queued and share each chunk's batches,
/// so the chunks in flight are scored one after the other, each by every instance.
/// </summary>
internal sealed class DirectBatchWorkers : IDisposable
{
    private readonly BlockingCollection<DirectChunk> _queue = [];
    private readonly Thread[] _threads;
    private readonly List<ModelSession> _sessions = [];

    private DirectBatchWorkers(BatchModel model, int instances, Func<ModelSession> open)
    {
        Model = model;
        _threads = new Thread[instances];
        try
        {
            for (var i = 0; i < instances; i++)
            {
                // Two sessions per worker: one bound to full batches, one for a chunk's shorter last batch,
                // so that the full ones never rebind (a session binds again when the number of rows changes).
                var full = open();
                _sessions.Add(full);
                var partial = open();
                _sessions.Add(partial);
                var scratch = new byte[TensorPacker.Bytes(model.Inputs[0], model.MaxBatchSize)];
                _threads[i] = new Thread(() => Work(full, partial, scratch)) { IsBackground = true, Name = $"usher batch instance {i}" };
            }
        }
        catch
        {
            foreach (var session in _sessions)
            {
                session.Dispose();
            }

            throw;
        }

        foreach (var thread in _threads)
        {
            thread.Start();
        }
    }

    /// <summary>The model the workers run.</summary>
    public BatchModel Model { get; }

    /// <summary>
    /// Workers for <paramref name="model"/> when it fits the fast path (one input, one output, types a
    /// span can hold), opened by <paramref name="open"/>; null when it does not.
    /// </summary>
    /// <exception cref="UsherEngineException">When the engine refuses the session (the backend has no direct path).</exception>
    public static DirectBatchWorkers? TryCreate(BatchModel model, int instances, Func<ModelSession> open)
    {
        if (model.Inputs.Count != 1 || model.Outputs.Count != 1 || !DirectCall.Supports(model.Inputs[0].DataType) || !DirectCall.Supports(model.Outputs[0].DataType))
        {
            return null;
        }

        return new DirectBatchWorkers(model, Math.Max(1, instances), open);
    }

    /// <summary>
    /// Scores the rows <paramref name="rows"/> (ascending) of <paramref name="chunk"/> in batches of the model's
    /// <c>max_batch_size</c>, writing row <c>i</c>'s outputs at <c>i × width</c> of <paramref name="output"/>.
    /// A batch the model refuses sends its rows to the errors file; the result tells which batches ran.
    /// </summary>
    public Task<bool[]> ScoreAsync(RowChunk chunk, int[] rows, byte[] output, CancellationToken cancellationToken)
    {
        var work = new DirectChunk(this, chunk, rows, output, _threads.Length, cancellationToken);
        if (work.Batches == 0)
        {
            return Task.FromResult(Array.Empty<bool>());
        }

        // One entry per worker: each that takes one shares the chunk's batches with the others.
        for (var i = 0; i < _threads.Length; i++)
        {
            _queue.Add(work, CancellationToken.None);
        }

        return work.Task;
    }

    /// <summary>Lets the queued chunks finish, stops the threads, and releases the sessions.</summary>
    public void Dispose()
    {
        _queue.CompleteAdding();
        foreach (var thread in _threads)
        {
            thread.Join();
        }

        foreach (var session in _sessions)
        {
            session.Dispose();
        }

        _queue.Dispose();
    }

    private void Work(ModelSession full, ModelSession partial, byte[] scratch)
    {
        foreach (var work in _queue.GetConsumingEnumerable())
        {
            work.RunShare(full, partial, scratch);
        }
    }

    // One chunk's batches, shared by the workers that took it.
    private sealed class DirectChunk
    {
        private readonly DirectBatchWorkers _owner;
        private readonly RowChunk _chunk;
        private readonly int[] _rows;
        private readonly byte[] _output;
        private readonly bool[] _ran;
        private readonly CancellationToken _cancellationToken;
        private readonly TaskCompletionSource<bool[]> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _next = -1;
        private int _shares;
        private Exception? _failure;

        public DirectChunk(DirectBatchWorkers owner, RowChunk chunk, int[] rows, byte[] output, int shares, CancellationToken cancellationToken)
        {
            _owner = owner;
            _chunk = chunk;
            _rows = rows;
            _output = output;
            _shares = shares;
            _cancellationToken = cancellationToken;
            Batches = (rows.Length + owner.Model.MaxBatchSize - 1) / owner.Model.MaxBatchSize;
            _ran = new bool[Batches];
        }

        public int Batches { get; }

        public Task<bool[]> Task => _done.Task;

        public void RunShare(ModelSession full, ModelSession partial, byte[] scratch)
        {
            try
            {
                int b;
                while (!_cancellationToken.IsCancellationRequested && Volatile.Read(ref _failure) is null && (b = Interlocked.Increment(ref _next)) < Batches)
                {
                    _ran[b] = Run(b, full, partial, scratch);
                }
            }
            catch (Exception ex)
            {
                Interlocked.CompareExchange(ref _failure, ex, null);
            }
            finally
            {
                if (Interlocked.Decrement(ref _shares) == 0)
                {
                    Complete();
                }
            }
        }

        private bool Run(int b, ModelSession full, ModelSession partial, byte[] scratch)
        {
            var model = _owner.Model;
            var input = model.Inputs[0];
            var first = b * model.MaxBatchSize;
            var count = Math.Min(model.MaxBatchSize, _rows.Length - first);
            var batch = _rows.AsSpan(first, count);
            var rowBytes = TensorPacker.Bytes(input, 1);
            var values = _chunk.Values[0];

            // Consecutive rows are a slice of the chunk's values; rows with a failed one among them are packed.
            ReadOnlySpan<byte> inputBytes;
            if (batch[^1] - batch[0] == count - 1)
            {
                inputBytes = values.AsSpan(batch[0] * rowBytes, count * rowBytes);
            }
            else
            {
                for (var i = 0; i < count; i++)
                {
                    values.AsSpan(batch[i] * rowBytes, rowBytes).CopyTo(scratch.AsSpan(i * rowBytes));
                }

                inputBytes = scratch.AsSpan(0, count * rowBytes);
            }

            var outputRowBytes = TensorPacker.Bytes(model.Outputs[0], 1);
            var outputBytes = _output.AsSpan(first * outputRowBytes, count * outputRowBytes);
            try
            {
                DirectCall.Run(count == model.MaxBatchSize ? full : partial, input.DataType, model.Outputs[0].DataType, inputBytes, outputBytes);
                return true;
            }
            catch (UsherEngineException ex)
            {
                foreach (var r in batch)
                {
                    _chunk.Fail(r, $"the model refused the batch: {ex.Error.Message}");
                }

                return false;
            }
        }

        private void Complete()
        {
            if (_failure is { } failure)
            {
                _done.TrySetException(failure);
            }
            else if (_cancellationToken.IsCancellationRequested)
            {
                _done.TrySetCanceled(_cancellationToken);
            }
            else
            {
                _done.TrySetResult(_ran);
            }
        }
    }

    // ModelSession.Run over the element types of the model's datatypes, from the chunk's bytes.
    private static class DirectCall
    {
        public static bool Supports(DataType type) => type is DataType.Fp32 or DataType.Fp64 or DataType.Int32 or DataType.Int64
            or DataType.UInt8 or DataType.Int8 or DataType.Int16 or DataType.UInt16 or DataType.UInt32 or DataType.UInt64;

        public static void Run(ModelSession session, DataType input, DataType output, ReadOnlySpan<byte> inputBytes, Span<byte> outputBytes)
        {
            switch (input)
            {
                case DataType.Fp32: Run(session, output, MemoryMarshal.Cast<byte, float>(inputBytes), outputBytes); break;
                case DataType.Fp64: Run(session, output, MemoryMarshal.Cast<byte, double>(inputBytes), outputBytes); break;
                case DataType.Int32: Run(session, output, MemoryMarshal.Cast<byte, int>(inputBytes), outputBytes); break;
                case DataType.Int64: Run(session, output, MemoryMarshal.Cast<byte, long>(inputBytes), outputBytes); break;
                case DataType.UInt8: Run(session, output, inputBytes, outputBytes); break;
                case DataType.Int8: Run(session, output, MemoryMarshal.Cast<byte, sbyte>(inputBytes), outputBytes); break;
                case DataType.Int16: Run(session, output, MemoryMarshal.Cast<byte, short>(inputBytes), outputBytes); break;
                case DataType.UInt16: Run(session, output, MemoryMarshal.Cast<byte, ushort>(inputBytes), outputBytes); break;
                case DataType.UInt32: Run(session, output, MemoryMarshal.Cast<byte, uint>(inputBytes), outputBytes); break;
                case DataType.UInt64: Run(session, output, MemoryMarshal.Cast<byte, ulong>(inputBytes), outputBytes); break;
                default: throw new InvalidOperationException($"input datatype {input.ToProtocolName()} has no direct path");
            }
        }

        private static void Run<TInput>(ModelSession session, DataType output, ReadOnlySpan<TInput> input, Span<byte> outputBytes)
            where TInput : unmanaged
        {
            switch (output)
            {
                case DataType.Fp32: session.Run(input, MemoryMarshal.Cast<byte, float>(outputBytes)); break;
                case DataType.Fp64: session.Run(input, MemoryMarshal.Cast<byte, double>(outputBytes)); break;
                case DataType.Int32: session.Run(input, MemoryMarshal.Cast<byte, int>(outputBytes)); break;
                case DataType.Int64: session.Run(input, MemoryMarshal.Cast<byte, long>(outputBytes)); break;
                case DataType.UInt8: session.Run(input, outputBytes); break;
                case DataType.Int8: session.Run(input, MemoryMarshal.Cast<byte, sbyte>(outputBytes)); break;
                case DataType.Int16: session.Run(input, MemoryMarshal.Cast<byte, short>(outputBytes)); break;
                case DataType.UInt16: session.Run(input, MemoryMarshal.Cast<byte, ushort>(outputBytes)); break;
                case DataType.UInt32: session.Run(input, MemoryMarshal.Cast<byte, uint>(outputBytes)); break;
                case DataType.UInt64: session.Run(input, MemoryMarshal.Cast<byte, ulong>(outputBytes)); break;
                default: throw new InvalidOperationException($"output datatype {output.ToProtocolName()} has no direct path");
            }
        }
    }
}

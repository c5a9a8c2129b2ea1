using System.Buffers;
using System.Threading.Channels;
using Usher.Core.Repository;

namespace Usher.Cli.Batch;

/// <summary>
/// Read → score → encode → commit, as stages joined by bounded channels so that memory stays flat
/// whatever the file's size: the reader is at most <see cref="ReadAhead"/> chunks ahead, at most
/// <see cref="ChunksInFlight"/> chunks are being scored and encoded at once (their batches spread
/// over the model's instances, at most <see cref="BatchModel.InFlight"/> batches at a time), and the
/// committer takes them in input order. At most <see cref="MaxChunks"/> chunks exist at once, whatever
/// the file's size, and their buffers come from pools this pipeline owns, which keep no more buffers
/// than can be in use at once (<see cref="MaxValueBuffers"/> chunks' values, <see cref="BatchModel.InFlight"/>
/// batches): the memory a run holds is a fixed number of chunks and batches (docs/batch.md, "Memory").
/// What the C allocator keeps after frees goes back to the system at most once per <see cref="TrimInterval"/>
/// of <paramref name="time"/>, through <paramref name="memory"/> (<see cref="ProcessMemory.Instance"/> unless a test passes its own).
/// </summary>
internal sealed class BatchPipeline(IRowSource source, ColumnMapping mapping, IBatchScorer scorer, IOutputFormat format, TimeProvider time, IProcessMemory? memory = null)
{
    /// <summary>
    /// The least time between two trims of the C allocator's arenas, checked after each commit. Once per
    /// chunk was more than needed: with mlp-large's chunks of 1,024 rows (about 50 a second) each trim gave
    /// back about 12 MiB that the next chunk allocated and faulted in again (measured with
    /// <c>--pass-through</c>); once a second still gives back the arenas' drift as pool threads come and go
    /// (docs/batch.md, "Memory").
    /// </summary>
    public static readonly TimeSpan TrimInterval = TimeSpan.FromSeconds(1);

    private readonly IProcessMemory _memory = memory ?? ProcessMemory.Instance;

    /// <summary>Chunks read and waiting to be scored.</summary>
    public const int ReadAhead = 2;

    /// <summary>Chunks scored and encoded at the same time.</summary>
    public const int ChunksInFlight = 3;

    /// <summary>
    /// The most chunks alive at once: <see cref="ReadAhead"/> waiting, one being read, <see cref="ChunksInFlight"/>
    /// being scored and encoded, and one being committed (the scoring stage takes a chunk only when one in flight has left).
    /// </summary>
    public const int MaxChunks = ReadAhead + 1 + ChunksInFlight + 1;

    /// <summary>
    /// The most chunks whose parsed input values are held at once: those waiting, the one being read,
    /// and those in flight until their batches have run (a chunk being committed has given its values back).
    /// </summary>
    public const int MaxValueBuffers = ReadAhead + 1 + ChunksInFlight;

    /// <summary>The bytes of one chunk's parsed input values (in each input's datatype): <paramref name="chunkRows"/> rows of every mapped input.</summary>
    public static long ChunkValueBytes(ColumnMapping mapping, int chunkRows) => mapping.Inputs.Sum(b => (long)TensorPacker.Bytes(b.Tensor, chunkRows));

    /// <summary>
    /// Runs rows [<paramref name="start"/>, <paramref name="end"/>) from chunk <paramref name="firstChunk"/>;
    /// <paramref name="commit"/> gets each chunk in order and returns false to stop the run.
    /// </summary>
    public async Task RunAsync(long start, long end, int chunkRows, long firstChunk, Func<EncodedChunk, bool> commit, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = cts.Token;
        var read = Channel.CreateBounded<RowChunk>(new BoundedChannelOptions(ReadAhead) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
        var encoded = Channel.CreateBounded<Task<EncodedChunk>>(new BoundedChannelOptions(ChunksInFlight) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

        // Pools of their own rather than the shared ones: the shared pool keeps a buffer per thread
        // that returned one, and the chunks and batches here are returned from whichever thread the
        // work continued on, so the buffers it held grew with the thread pool, not with what is in use.
        // These keep at most as many free buffers as can be in use at once.
        var model = scorer.Model;
        var values = ArrayPool<byte>.Create(
            Math.Max(1, mapping.Inputs.Max(b => TensorPacker.Bytes(b.Tensor, chunkRows))), MaxValueBuffers * mapping.Inputs.Count);
        var batches = ArrayPool<byte>.Create(
            Math.Max(1, model.Inputs.Max(i => TensorPacker.Bytes(i, model.MaxBatchSize))), model.InFlight * model.Inputs.Count);
        var chunkScorer = new ChunkScorer(scorer, batches, chunkRows);
        var chunks = new ChunkBuilder(firstChunk, chunkRows, mapping, values, read.Writer);

        var reading = Task.Run(
            async () =>
            {
                try
                {
                    await source.ReadAsync(start, end, mapping, chunks, token).ConfigureAwait(false);
                    read.Writer.Complete();
                }
                catch (Exception ex)
                {
                    read.Writer.Complete(ex);
                }
            },
            CancellationToken.None);

        var scoring = Task.Run(
            async () =>
            {
                try
                {
                    // Room first, then take a chunk: one taken while the chunks in flight are
                    // ChunksInFlight would be one more, held by no stage's bound.
                    while (await encoded.Writer.WaitToWriteAsync(token).ConfigureAwait(false) && await read.Reader.WaitToReadAsync(token).ConfigureAwait(false))
                    {
                        if (read.Reader.TryRead(out var chunk) && !encoded.Writer.TryWrite(EncodeAsync(chunkScorer, chunk, token)))
                        {
                            throw new InvalidOperationException("the pipeline's channel of chunks in flight refused a chunk it had room for");
                        }
                    }

                    encoded.Writer.Complete();
                }
                catch (Exception ex)
                {
                    encoded.Writer.Complete(ex);
                }
            },
            CancellationToken.None);

        var lastTrim = time.GetTimestamp();
        try
        {
            await foreach (var pending in encoded.Reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                if (!commit(await pending.ConfigureAwait(false)))
                {
                    break;
                }

                // What ONNX Runtime and the runtime freed in the C allocator's arenas goes back (malloc_trim):
                // glibc gives a thread that meets a busy arena one of its own and keeps the freed blocks of
                // each, and kept they drew the resident set up by 8-10 MiB over 10,000,000 rows of fraud as
                // pool threads came and went (docs/batch.md, "Memory"). At most once per TrimInterval.
                if (time.GetElapsedTime(lastTrim) >= TrimInterval)
                {
                    _memory.Trim();
                    lastTrim = time.GetTimestamp();
                }
            }
        }
        finally
        {
            await cts.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(reading, scoring).ConfigureAwait(false);

            // Chunks still in flight after a stop are not committed; let them finish quietly.
            while (encoded.Reader.TryRead(out var orphan))
            {
                await Task.WhenAny(orphan).ConfigureAwait(false);
            }
        }
    }

    private async Task<EncodedChunk> EncodeAsync(ChunkScorer chunkScorer, RowChunk chunk, CancellationToken cancellationToken)
    {
        var scored = await chunkScorer.ScoreAsync(chunk, cancellationToken).ConfigureAwait(false);
        var output = await format.WritePartAsync(scored, cancellationToken).ConfigureAwait(false);
        var encoded = new EncodedChunk(chunk.Index, chunk.FirstRow, chunk.Rows, chunk.ErrorCount, output, ErrorLines.Encode(chunk), ErrorLines.First(chunk));

        // Encoded: nothing reads the chunk's per-row arrays any more (a chunk that fails before this point leaves them to the collector).
        chunkScorer.Release(scored);
        chunk.ReturnRows();
        return encoded;
    }
}

using System.Runtime.InteropServices;
using Microsoft.Extensions.Time.Testing;
using Usher.Cli.Batch;
using Usher.Core.Inference;
using Usher.Core.Repository;
using Usher.Core.Tensors;

namespace Usher.Cli.Tests.Batch;

public sealed class BatchPipelineTests
{
    private const int ChunkRows = 4;
    private static readonly BatchTensor Input = new("x", DataType.Fp32, [-1, 2], 2);
    private static readonly BatchTensor Output = new("y", DataType.Fp32, [-1, 2], 2);
    private static readonly ColumnMapping Mapping = new([new SourceColumn("x", IsList: true)], [new InputBinding(Input, ListColumn: 0, [])], []);

    [Fact]
    public async Task RunAsync_WhileTheCommitterIsStuck_HoldsNoMoreThanMaxChunksAndNoMoreBatchesThanInFlight()
    {
        // 40 chunks, far more than the pipeline may hold. The first commit does not return until
        // the reader is stuck, waiting for room, so every stage is as full as it can get; the
        // source checks at every new chunk that no more than MaxChunks exist (started and not yet
        // committed), and the scorer that no more than InFlight batches run at once.
        const int Chunks = 40;
        var scorer = new EchoScorer(new BatchModel("m", 1, MaxBatchSize: 2, [Input], [Output], InFlight: 2));
        var source = new CountingSource(Chunks * ChunkRows);
        var pipeline = new BatchPipeline(source, Mapping, scorer, new FloatsFormat(), TimeProvider.System);
        var committed = new List<EncodedChunk>();

        await pipeline.RunAsync(0, Chunks * ChunkRows, ChunkRows, firstChunk: 0, chunk =>
        {
            if (committed.Count == 0)
            {
                // A bound against a deadlock, not a delay: a bounded reader gets stuck at once.
                Assert.True(source.Stuck.Wait(TimeSpan.FromSeconds(30)), "the reader never waited for room: the pipeline is not bounded");
            }

            committed.Add(chunk);
            Interlocked.Increment(ref source.Committed);
            return true;
        }, CancellationToken.None);

        Assert.Equal(BatchPipeline.MaxChunks, source.MostAlive);
        Assert.InRange(scorer.MostRunning, 1, 2);

        // Every row, in input order, with its own outputs (the scorer echoes row r = [r, 10r]).
        Assert.Equal(Enumerable.Range(0, Chunks).Select(i => (long)i), committed.Select(c => c.Index));
        var values = MemoryMarshal.Cast<byte, float>(committed.SelectMany(c => c.Output.Span.ToArray()).ToArray());
        var expected = Enumerable.Range(0, Chunks * ChunkRows).SelectMany(r => new[] { (float)r, 10f * r }).ToArray();
        Assert.Equal(expected, values.ToArray());
    }

    [Fact]
    public async Task RunAsync_ReusesTheChunksRowArrays_AndEachChunkKeepsOnlyItsOwnErrorsAndKeptValues()
    {
        // Every fifth row fails and every row keeps an id, through the real CSV output: a row array reused
        // without clearing would carry an earlier chunk's errors or ids into a later one.
        const int Chunks = 40;
        var mapping = new ColumnMapping([new SourceColumn("x", IsList: true), new SourceColumn("id", IsList: false)], [new InputBinding(Input, ListColumn: 0, [])], [1]);
        var scorer = new EchoScorer(new BatchModel("m", 1, MaxBatchSize: 2, [Input], [Output], InFlight: 2));
        var source = new KeepingSource(Chunks * ChunkRows);
        var format = new CsvOutputFormat(new OutputLayout([new SourceColumn("id", IsList: false)], [Output]));
        var committed = new List<(long Index, string Output, string Errors)>();

        await new BatchPipeline(source, mapping, scorer, format, TimeProvider.System).RunAsync(0, Chunks * ChunkRows, ChunkRows, firstChunk: 0, chunk =>
        {
            committed.Add((chunk.Index, System.Text.Encoding.UTF8.GetString(chunk.Output.Span), System.Text.Encoding.UTF8.GetString(chunk.ErrorLines)));
            chunk.Output.Dispose();
            return true;
        }, CancellationToken.None);

        Assert.InRange(source.ErrorArrays.Count, 1, BatchPipeline.MaxChunks);
        Assert.InRange(source.KeptArrays.Count, 1, BatchPipeline.MaxChunks);
        Assert.Equal(Chunks, committed.Count);
        foreach (var (index, output, errors) in committed)
        {
            var rows = Enumerable.Range((int)index * ChunkRows, ChunkRows).ToList();
            Assert.Equal(string.Concat(rows.Where(r => !KeepingSource.Fails(r)).Select(r => $"id{r},{r},{10 * r}\n")), output);
            Assert.Equal(string.Concat(rows.Where(KeepingSource.Fails).Select(r => $"{r + 1},row {r} is bad\n")), errors);
        }
    }

    [Fact]
    public async Task RunAsync_TrimsTheAllocatorAtMostOncePerTrimInterval_NotOncePerChunk()
    {
        // 20 chunks, the fake clock moving 0.3 s per commit: the trim is due after the 4th commit (1.2 s),
        // then after every 4th (3 x 0.3 s is still short of the interval), 5 trims in all; once per chunk made 20.
        const int Chunks = 20;
        var time = new FakeTimeProvider();
        var memory = new CountingMemory();
        var scorer = new EchoScorer(new BatchModel("m", 1, MaxBatchSize: 2, [Input], [Output], InFlight: 2));
        var trimsAtCommit = new List<int>();
        await new BatchPipeline(new CountingSource(Chunks * ChunkRows), Mapping, scorer, new FloatsFormat(), time, memory).RunAsync(0, Chunks * ChunkRows, ChunkRows, firstChunk: 0, chunk =>
        {
            trimsAtCommit.Add(memory.Trims);
            time.Advance(TimeSpan.FromSeconds(0.3));
            chunk.Output.Dispose();
            return true;
        }, CancellationToken.None);

        Assert.Equal(TimeSpan.FromSeconds(1), BatchPipeline.TrimInterval);
        Assert.Equal(5, memory.Trims);
        Assert.Equal([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4], trimsAtCommit);
    }

    [Fact]
    public void ChunkValueBytes_IsEachInputsElementSizePerValue()
    {
        var second = new BatchTensor("z", DataType.Int64, [-1, 3], 3);
        var mapping = new ColumnMapping([new SourceColumn("x", IsList: true), new SourceColumn("z", IsList: true)], [new InputBinding(Input, 0, []), new InputBinding(second, 1, [])], []);

        // 1,000 rows of 2 FP32 values (4 bytes each) and 3 INT64 values (8 bytes each), held in their own types.
        Assert.Equal(1_000 * ((2 * 4) + (3 * 8)), BatchPipeline.ChunkValueBytes(mapping, 1_000));
    }

    private sealed class CountingSource(int rows) : IRowSource
    {
        public int Committed;
        private int _started;

        public ManualResetEventSlim Stuck { get; } = new();

        public int MostAlive { get; private set; }

        public IReadOnlyList<SourceColumn> Columns => Mapping.Columns;

        public long RowCount => rows;

        public IReadOnlyList<long>? ShardBoundaries => null;

        public async Task ReadAsync(long start, long end, ColumnMapping mapping, ChunkBuilder chunks, CancellationToken cancellationToken)
        {
            RowChunk? current = null;
            for (var row = start; row < end; row++)
            {
                var chunk = chunks.For(row);
                if (!ReferenceEquals(chunk, current))
                {
                    current = chunk;
                    _started++;
                    MostAlive = Math.Max(MostAlive, _started - Volatile.Read(ref Committed));
                }

                var values = MemoryMarshal.Cast<byte, float>(chunk.Row(0, chunk.Rows));
                values[0] = row;
                values[1] = 10 * row;
                chunk.Commit(null);
                var done = chunks.RowDoneAsync(cancellationToken);
                if (!done.IsCompleted && _started == BatchPipeline.MaxChunks)
                {
                    Stuck.Set();
                }

                await done.ConfigureAwait(false);
            }

            await chunks.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    // Rows [r, 10r] with id "id{r}"; every fifth row (from row 1) fails. Records the per-row arrays it was given.
    private sealed class KeepingSource(int rows) : IRowSource
    {
        public HashSet<object> ErrorArrays { get; } = new(ReferenceEqualityComparer.Instance);

        public HashSet<object> KeptArrays { get; } = new(ReferenceEqualityComparer.Instance);

        public IReadOnlyList<SourceColumn> Columns => [new SourceColumn("x", IsList: true), new SourceColumn("id", IsList: false)];

        public long RowCount => rows;

        public IReadOnlyList<long>? ShardBoundaries => null;

        public static bool Fails(int row) => row % 5 == 1;

        public async Task ReadAsync(long start, long end, ColumnMapping mapping, ChunkBuilder chunks, CancellationToken cancellationToken)
        {
            for (var row = start; row < end; row++)
            {
                var chunk = chunks.For(row);
                ErrorArrays.Add(chunk.Errors);
                KeptArrays.Add(chunk.Kept[0]);
                var values = MemoryMarshal.Cast<byte, float>(chunk.Row(0, chunk.Rows));
                values[0] = row;
                values[1] = 10 * row;
                chunk.Kept[0][chunk.Rows] = $"id{row}";
                chunk.Commit(Fails((int)row) ? $"row {row} is bad" : null);
                await chunks.RowDoneAsync(cancellationToken).ConfigureAwait(false);
            }

            await chunks.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class EchoScorer(BatchModel model) : IBatchScorer
    {
        private int _running;
        private int _mostRunning;

        public BatchModel Model { get; } = model;

        public int MostRunning => _mostRunning;

        public async ValueTask<InferenceResult<IReadOnlyList<Tensor>>> ScoreAsync(IReadOnlyList<Tensor> inputs, int rows, CancellationToken cancellationToken)
        {
            var now = Interlocked.Increment(ref _running);
            InterlockedMax(ref _mostRunning, now);
            var echo = Tensor.FromBytes(Output.Name, Output.DataType, [rows, 2], inputs[0].Data.ToArray());
            await Task.Yield();
            Interlocked.Decrement(ref _running);
            return InferenceResult<IReadOnlyList<Tensor>>.Success([echo]);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        private static void InterlockedMax(ref int target, int value)
        {
            int seen;
            while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
            {
            }
        }
    }

    // The scored rows' outputs as raw floats, in order.
    private sealed class FloatsFormat : IOutputFormat
    {
        public Task<EncodedPart> WritePartAsync(ScoredChunk chunk, CancellationToken cancellationToken)
        {
            var bytes = new List<byte>();
            for (var i = 0; i < chunk.ScoredRows.Length; i++)
            {
                var tensor = chunk.Outputs[chunk.BatchOf[i]][0];
                bytes.AddRange(tensor.Data.Span.Slice(chunk.RowInBatch[i] * 8, 8).ToArray());
            }

            return Task.FromResult(EncodedPart.Of(bytes.ToArray()));
        }

        public ReadOnlySpan<byte> Start => [];

        public PartLayout Split(ReadOnlySpan<byte> part) => PartLayout.AllRows(part.Length);

        public Task FinishAsync(Stream output, IReadOnlyList<(byte[] Trailer, long Offset)> chunks, CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    private sealed class CountingMemory : IProcessMemory
    {
        public int Trims { get; private set; }

        public long ResidentBytes() => 0;

        public void Trim() => Trims++;

        public void ResetPeak()
        {
        }

        public long PeakBytes() => 0;
    }
}

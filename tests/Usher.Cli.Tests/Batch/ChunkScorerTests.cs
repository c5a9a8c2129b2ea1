using System.Buffers;
using System.Runtime.InteropServices;
using Usher.Cli.Batch;
using Usher.Core.Inference;
using Usher.Core.Tensors;

namespace Usher.Cli.Tests.Batch;

public sealed class ChunkScorerTests
{
    private static readonly BatchTensor Input = new("x", DataType.Fp32, [-1, 2], 2);
    private static readonly BatchTensor Output = new("y", DataType.Fp32, [-1, 2], 2);

    [Fact]
    public async Task ScoreAsync_WithAScorerThatRunsOnTheCallersThread_KeepsSeveralBatchesRunningAtOnce()
    {
        // The engine's scheduler runs a batch that meets an idle instance on the caller's thread,
        // synchronously. Such a scorer must still see two batches at once (two instances busy):
        // each waits here until the other has arrived.
        var scorer = new RendezvousScorer(new BatchModel("m", 1, MaxBatchSize: 2, [Input], [Output], InFlight: 2), parties: 2);
        var mapping = new ColumnMapping([new SourceColumn("x", IsList: true)], [new InputBinding(Input, ListColumn: 0, [])], []);
        var chunk = RowChunk.Create(0, 0, capacity: 4, mapping, ArrayPool<byte>.Shared);
        for (var r = 0; r < 4; r++)
        {
            var values = MemoryMarshal.Cast<byte, float>(chunk.Row(0, r));
            values[0] = r;
            values[1] = 10 * r;
            chunk.Commit(null);
        }

        var scored = await new ChunkScorer(scorer, ArrayPool<byte>.Shared).ScoreAsync(chunk, CancellationToken.None);

        Assert.True(scorer.MetEachOther, "the second batch did not start while the first was running: batches ran one after the other");
        Assert.Equal([0, 1, 2, 3], scored.ScoredRows);
        Assert.Equal(0, scored.ErrorCount);

        // Each row's outputs are its own inputs (the scorer echoes them), in input order.
        for (var i = 0; i < 4; i++)
        {
            var row = scored.Outputs[scored.BatchOf[i]][0].AsSpan<float>().Slice(scored.RowInBatch[i] * 2, 2);
            Assert.Equal([i, 10f * i], row.ToArray());
        }
    }

    [Fact]
    public async Task ScoreAsync_SendsConsecutiveRowsAsASliceOfTheChunk_AndPacksABatchWithAFailedRowAmongIt()
    {
        // 6 rows in batches of 2; row 1 failed when read. Good rows 0,2 | 3,4 | 5: the first batch skips
        // row 1 and is packed into a pooled buffer; 3,4 are consecutive and go as a slice of the chunk.
        var scorer = new EchoScorer(new BatchModel("m", 1, MaxBatchSize: 2, [Input], [Output], InFlight: 2));
        var mapping = new ColumnMapping([new SourceColumn("x", IsList: true)], [new InputBinding(Input, ListColumn: 0, [])], []);
        var chunk = RowChunk.Create(0, 0, capacity: 6, mapping, ArrayPool<byte>.Shared);
        var chunkValues = chunk.Values[0];
        scorer.ChunkValues = chunkValues;
        for (var r = 0; r < 6; r++)
        {
            var values = MemoryMarshal.Cast<byte, float>(chunk.Row(0, r));
            values[0] = r;
            values[1] = -r;
            chunk.Commit(r == 1 ? "bad row" : null);
        }

        var scored = await new ChunkScorer(scorer, ArrayPool<byte>.Shared).ScoreAsync(chunk, CancellationToken.None);

        Assert.Equal([0, 2, 3, 4, 5], scored.ScoredRows);
        Assert.Equal(3, scorer.Inputs.Count);
        Assert.False(scorer.SharedChunk[0], "the batch of rows 0 and 2 must be packed, not a slice spanning the failed row 1");
        Assert.True(scorer.SharedChunk[1], "rows 3 and 4 are consecutive: their batch should be a slice of the chunk's values");
        Assert.Equal([0f, 0f, 2f, -2f], scorer.Inputs[0]);
        Assert.Equal([3f, -3f, 4f, -4f], scorer.Inputs[1]);
        Assert.Equal([5f, -5f], scorer.Inputs[2]);

        // Every scored row gets back its own values (the scorer echoes its input).
        for (var i = 0; i < scored.ScoredRows.Length; i++)
        {
            var row = scored.ScoredRows[i];
            var output = scored.Outputs[scored.BatchOf[i]][0].AsSpan<float>().Slice(scored.RowInBatch[i] * 2, 2);
            Assert.Equal([(float)row, -row], output.ToArray());
        }

        // The chunk gave its values back once its batches had run.
        Assert.Empty(chunk.Values[0]);
        Assert.NotEmpty(chunkValues);
    }

    private sealed class EchoScorer(BatchModel model) : IBatchScorer
    {
        public BatchModel Model { get; } = model;

        public List<float[]> Inputs { get; } = [];

        public List<bool> SharedChunk { get; } = [];

        public byte[]? ChunkValues { get; set; }

        public ValueTask<InferenceResult<IReadOnlyList<Tensor>>> ScoreAsync(IReadOnlyList<Tensor> inputs, int rows, CancellationToken cancellationToken)
        {
            lock (Inputs)
            {
                // Batches are dispatched in order but may run in any order: file them by their first value.
                var values = inputs[0].AsSpan<float>().ToArray();
                var at = Inputs.FindIndex(v => v[0] > values[0]);
                at = at < 0 ? Inputs.Count : at;
                Inputs.Insert(at, values);
                SharedChunk.Insert(at, MemoryMarshal.TryGetArray(inputs[0].Data, out var segment) && ReferenceEquals(segment.Array, ChunkValues));
            }

            var copy = inputs[0].Data.ToArray();
            return ValueTask.FromResult(InferenceResult<IReadOnlyList<Tensor>>.Success([Tensor.FromBytes("y", DataType.Fp32, [rows, 2], copy)]));
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class RendezvousScorer(BatchModel model, int parties) : IBatchScorer
    {
        private readonly CountdownEvent _arrived = new(parties);

        public BatchModel Model { get; } = model;

        public bool MetEachOther { get; private set; } = true;

        public ValueTask<InferenceResult<IReadOnlyList<Tensor>>> ScoreAsync(IReadOnlyList<Tensor> inputs, int rows, CancellationToken cancellationToken)
        {
            if (!_arrived.IsSet)
            {
                _arrived.Signal();

                // A bound against a deadlock, not a delay: the other batch arrives at once when it runs concurrently.
                if (!_arrived.Wait(TimeSpan.FromSeconds(30), cancellationToken))
                {
                    MetEachOther = false;
                }
            }

            var echo = Tensor.FromBytes(Output.Name, Output.DataType, [rows, 2], inputs[0].Data.ToArray());
            return ValueTask.FromResult(InferenceResult<IReadOnlyList<Tensor>>.Success([echo]));
        }

        public ValueTask DisposeAsync()
        {
            _arrived.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

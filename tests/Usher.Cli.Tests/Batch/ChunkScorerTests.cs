using System.Buffers;
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
        var chunk = RowChunk.Create(0, 0, capacity: 4, mapping, ArrayPool<double>.Shared);
        for (var r = 0; r < 4; r++)
        {
            chunk.Values[0][r * 2] = r;
            chunk.Values[0][(r * 2) + 1] = 10 * r;
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

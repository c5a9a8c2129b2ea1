using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using Usher.Backends.Onnx.Samples;
using Usher.Cli.Batch;
using Usher.Cli.Commands;
using Usher.Testing;

namespace Usher.Cli.Tests.Batch;

/// <summary>
/// A model of one input and one output scored on <see cref="DirectBatchWorkers"/> (the engine's fast path, one
/// thread per instance, every batch into the chunk's one output buffer), on ONNX Runtime, against a plain-loop
/// double-precision computation of the same MLP.
/// </summary>
public sealed class DirectBatchWorkersTests : IDisposable
{
    private const int Features = 30;
    private const int Outputs = 3;
    private static readonly MlpWeights Weights = MlpWeights.Random(11, Features, 8, Outputs);
    private readonly TempDirectory _temp = new();
    private readonly string _repository;

    public DirectBatchWorkersTests()
    {
        _repository = _temp.Combine("models");
        Directory.CreateDirectory(Path.Combine(_repository, "reg", "1"));
        File.WriteAllBytes(Path.Combine(_repository, "reg", "1", "model.onnx"), MlpGraphs.Regressor(Weights, "reg"));
        File.WriteAllText(Path.Combine(_repository, "reg", "config.yaml"), "max_batch_size: 4\ninstances: auto\n");
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task ScoreAsync_OneInputOneOutput_RunsEveryBatchIntoOneBufferPerChunk_FailedRowsLeftOut()
    {
        var problems = new List<string>();
        await using var scorer = await InProcessScorer.OpenAsync(_repository, "reg", null, problems, CancellationToken.None);
        Assert.True(scorer is not null, string.Join("; ", problems));
        Assert.NotNull(scorer.Direct);

        // 11 rows in batches of 4; row 5 failed when read, so the good rows are 0-4 | 6-10: the second batch
        // (4, 6, 7, 8) spans the failed row and is packed, the last (9, 10) is shorter than the others.
        var rows = BatchFiles.Features(11, seed: 3);
        var input = scorer.Model.Inputs[0];
        var mapping = new ColumnMapping([new SourceColumn("input", IsList: true)], [new InputBinding(input, ListColumn: 0, [])], []);
        var chunkScorer = new ChunkScorer(scorer, ArrayPool<byte>.Shared, chunkRows: 16);
        for (var round = 0; round < 2; round++)
        {
            // Twice: the second chunk reuses the first one's output buffer and the workers' bound sessions.
            var chunk = RowChunk.Create(round, round * 11, capacity: 16, mapping, ArrayPool<byte>.Shared);
            for (var r = 0; r < rows.Length; r++)
            {
                rows[r].CopyTo(MemoryMarshal.Cast<byte, float>(chunk.Row(0, r)));
                chunk.Commit(r == 5 ? "bad row" : null);
            }

            var scored = await chunkScorer.ScoreAsync(chunk, CancellationToken.None);

            Assert.Equal([0, 1, 2, 3, 4, 6, 7, 8, 9, 10], scored.ScoredRows);
            var outputs = Assert.Single(scored.Outputs);
            Assert.NotNull(scored.OutputBuffer);
            for (var i = 0; i < scored.ScoredRows.Length; i++)
            {
                Assert.Equal(0, scored.BatchOf[i]);
                var actual = outputs[0].AsSpan<float>().Slice(scored.RowInBatch[i] * Outputs, Outputs);
                var expected = ReferenceMlp.Forward(Weights, rows[scored.ScoredRows[i]]);
                for (var o = 0; o < Outputs; o++)
                {
                    Assert.True(Math.Abs(expected[o] - actual[o]) <= 1e-4, $"row {scored.ScoredRows[i]} output {o}: expected {expected[o]}, got {actual[o]}");
                }
            }

            chunkScorer.Release(scored);
            chunk.ReturnRows();
        }
    }

    [Fact]
    public async Task Batch_OneInputOneOutputModel_CsvOut_EveryRowInOrderMatchesAReferenceComputation()
    {
        // 203 rows (not a multiple of the batch of 4 nor of the chunk of 64), row 70 unreadable.
        var rows = BatchFiles.Features(203, seed: 5);
        var input = _temp.Combine("in.csv");
        BatchFiles.WriteCsv(input, rows, (r, i) => r == 70 && i == 3 ? "x" : null);
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter { NewLine = "\n" };

        var exit = await UsherRootCommand.InvokeAsync(
            ["batch", "reg", "-m", _repository, "-i", input, "-o", _temp.Combine("out.csv"), "--keep", "id", "--chunk-rows", "64", "--columns", "input=" + string.Join(',', Enumerable.Range(0, Features).Select(i => $"features_{i}"))],
            new System.CommandLine.InvocationConfiguration { Output = output, Error = error });

        Assert.True(exit == 0, error.ToString());
        var lines = BatchFiles.ReadCsv(_temp.Combine("out.csv"));
        Assert.Equal(203, lines.Length);
        var ids = lines.Skip(1).Select(l => int.Parse(l[0], CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(Enumerable.Range(0, 203).Where(r => r != 70), ids);
        foreach (var line in lines.Skip(1))
        {
            var expected = ReferenceMlp.Forward(Weights, rows[int.Parse(line[0], CultureInfo.InvariantCulture)]);
            for (var o = 0; o < Outputs; o++)
            {
                var actual = double.Parse(line[1 + o], CultureInfo.InvariantCulture);
                Assert.True(Math.Abs(expected[o] - actual) <= 1e-4, $"row {line[0]} output {o}: expected {expected[o]}, got {actual}");
            }
        }
    }
}

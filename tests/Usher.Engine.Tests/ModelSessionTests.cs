using Usher.Backends.Onnx.Samples;
using Usher.Core.Inference;
using Usher.Testing;

namespace Usher.Engine.Tests;

public sealed class ModelSessionTests : IDisposable
{
    private readonly TempDirectory _repository = new();

    public ModelSessionTests() => FraudRows.CopyFraud(_repository.Path);

    public void Dispose() => _repository.Dispose();

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    public async Task Run_Fraud_EqualsTheReferenceMlp(int rowCount)
    {
        await using var engine = await UsherEngine.OpenAsync(_repository.Path);
        using var session = engine.GetSession("fraud");
        var rows = FraudRows.Make(rowCount, seed: rowCount);
        var probabilities = new float[rowCount * 2];

        session.Run(rows, probabilities);

        Assert.Equal(2, session.Version);
        Assert.Equal(30, session.InputRowLength);
        Assert.Equal(2, session.OutputRowLength);
        FraudRows.AssertClose(FraudRows.Expected(2, rows), probabilities);
    }

    [Fact]
    public async Task Run_PinnedVersion_RunsThatVersion()
    {
        await using var engine = await UsherEngine.OpenAsync(_repository.Path);
        using var session = engine.GetSession("fraud", version: 1);
        var rows = FraudRows.Make(2, seed: 5);
        var probabilities = new float[4];

        session.Run(rows, probabilities);

        Assert.Equal(1, session.Version);
        FraudRows.AssertClose(FraudRows.Expected(1, rows), probabilities);
    }

    [Fact]
    public async Task Run_CountsEachCallAsOneExecutionOfItsRows_AsTheBatcherCountsABatch()
    {
        await using var engine = await UsherEngine.OpenAsync(_repository.Path);
        using var session = engine.GetSession("fraud");

        session.Run(FraudRows.Make(7, seed: 1), new float[14]);
        session.Run(FraudRows.Make(7, seed: 2), new float[14]);
        session.Run(FraudRows.Make(1, seed: 3), new float[2]);

        // Three executions of 7, 7 and 1 rows: 15 inferences, the batch-size histogram's le="1" and le="8" buckets.
        var totals = Assert.Single(engine.Metrics.Totals, t => t.Model == "fraud" && t.Version == "2");
        Assert.Equal(3, totals.Executions);
        Assert.Equal(15, totals.Inferences);
        var batches = new long[totals.BatchSize.Buckets];
        Assert.Equal(15, totals.BatchSize.Read(batches));
        Assert.Equal([1L, 0, 0, 2, 0, 0, 0, 0, 0, 0], batches);
    }

    [Fact]
    public async Task Run_SteadyState_AllocatesNothing()
    {
        await using var engine = await UsherEngine.OpenAsync(_repository.Path);
        using var session = engine.GetSession("fraud");
        var features = FraudRows.Make(1);
        var probabilities = new float[2];
        for (var i = 0; i < 100; i++)
        {
            session.Run(features, probabilities); // tiered JIT and first-call caches settle first
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            session.Run(features, probabilities);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        FraudRows.AssertClose(FraudRows.Expected(2, features), probabilities);
    }

    [Fact]
    public async Task Run_PinnedSteadyState_AllocatesNothing()
    {
        await using var engine = await UsherEngine.OpenAsync(_repository.Path);
        using var session = engine.GetSession("fraud", version: 1);
        var features = FraudRows.Make(1);
        var probabilities = new float[2];
        for (var i = 0; i < 100; i++)
        {
            session.Run(features, probabilities);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            session.Run(features, probabilities);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public async Task Run_BuffersThatDoNotFit_ThrowInvalidArgumentNamingTheFix()
    {
        await using var engine = await UsherEngine.OpenAsync(_repository.Path);
        using var session = engine.GetSession("fraud");

        var ragged = Assert.Throws<UsherEngineException>(() => session.Run(new float[31], new float[2]));
        var shortOutput = Assert.Throws<UsherEngineException>(() => session.Run(new float[60], new float[2]));
        var tooMany = Assert.Throws<UsherEngineException>(() => session.Run(new float[65 * 30], new float[65 * 2]));
        var wrongType = Assert.Throws<UsherEngineException>(() => session.Run<double, float>(new double[30], new float[2]));

        Assert.All([ragged, shortOutput, tooMany, wrongType], e => Assert.Equal(InferenceErrorKind.InvalidArgument, e.Kind));
        Assert.Contains("rows of 30 elements, got 31", ragged.Message, StringComparison.Ordinal);
        Assert.Contains("2 rows need a buffer of 4 elements", shortOutput.Message, StringComparison.Ordinal);
        Assert.Contains("1 to 64 rows", tooMany.Message, StringComparison.Ordinal);
        Assert.Contains("pass float elements", wrongType.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetSession_UnknownModelVersionOrOutput_ThrowsNotFound()
    {
        await using var engine = await UsherEngine.OpenAsync(_repository.Path);

        Assert.Equal(InferenceErrorKind.NotFound, Assert.Throws<UsherEngineException>(() => engine.GetSession("nope")).Kind);
        Assert.Equal(InferenceErrorKind.NotFound, Assert.Throws<UsherEngineException>(() => engine.GetSession("fraud", version: 5)).Kind);
        Assert.Equal(InferenceErrorKind.NotFound, Assert.Throws<UsherEngineException>(() => engine.GetSession("fraud", output: "logits")).Kind);
    }

    [Fact]
    public async Task Run_AfterANewVersionLoads_FollowsItAndReleasesTheOldOne()
    {
        Directory.Delete(Path.Combine(_repository.Path, "fraud", "2"), recursive: true);
        await using var engine = await UsherEngine.OpenAsync(_repository.Path);
        using var session = engine.GetSession("fraud");
        var rows = FraudRows.Make(1, seed: 9);
        var probabilities = new float[2];
        session.Run(rows, probabilities);
        Assert.Equal(1, session.Version);

        File.WriteAllBytes(_repository.Combine("fraud", "2", "model.onnx"), SampleModels.BuildFraud(2));
        await engine.ReloadAsync();
        session.Run(rows, probabilities);

        Assert.Equal(2, session.Version);
        FraudRows.AssertClose(FraudRows.Expected(2, rows), probabilities);
    }

    [Fact]
    public async Task Run_OneSessionPerThread_EveryRowGetsItsOwnAnswer()
    {
        await using var engine = await UsherEngine.OpenAsync(_repository.Path);
        var threads = Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            using var session = engine.GetSession("fraud");
            var probabilities = new float[2];
            for (var i = 0; i < 50; i++)
            {
                var row = FraudRows.Make(1, seed: (t * 1000) + i);
                session.Run(row, probabilities);
                FraudRows.AssertClose(FraudRows.Expected(2, row), probabilities);
            }
        }));

        await Task.WhenAll(threads);
    }
}

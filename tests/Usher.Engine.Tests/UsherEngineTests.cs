using Microsoft.Extensions.Time.Testing;
using Usher.Backends.Onnx.Samples;
using Usher.Core.Inference;
using Usher.Testing;
using Usher.Testing.Models;

namespace Usher.Engine.Tests;

public sealed class UsherEngineTests : IDisposable
{
    private readonly TempDirectory _repository = new();

    public UsherEngineTests() => FraudRows.CopyFraud(_repository.Path);

    public void Dispose() => _repository.Dispose();

    [Fact]
    public async Task InferAsync_Fraud_EqualsTheReferenceMlpOfTheNewestVersion()
    {
        await using var engine = await UsherEngine.OpenAsync(_repository.Path);
        var rows = FraudRows.Make(5);

        using var result = await engine.InferAsync("fraud", new InferenceInput("features", rows, [5, 30]));

        Assert.Equal(2, result.ModelVersion);
        Assert.Equal([5L, 2L], result.Shape("probabilities"));
        FraudRows.AssertClose(FraudRows.Expected(2, rows), result.Output<float>("probabilities"));
    }

    [Fact]
    public async Task InferAsync_PinnedVersion_RunsThatVersion()
    {
        await using var engine = await UsherEngine.OpenAsync(_repository.Path);
        var rows = FraudRows.Make(3, seed: 11);

        using var result = await engine.InferAsync("fraud", [new InferenceInput("features", rows, [3, 30])], new InferOptions { Version = 1 });

        Assert.Equal(1, result.ModelVersion);
        FraudRows.AssertClose(FraudRows.Expected(1, rows), result.Output<float>("probabilities"));
    }

    [Fact]
    public async Task InferAsync_WrongShape_ThrowsInvalidArgumentNamingTheInput()
    {
        await using var engine = await UsherEngine.OpenAsync(_repository.Path);

        var error = await Assert.ThrowsAsync<UsherEngineException>(async () =>
            await engine.InferAsync("fraud", new InferenceInput("features", new float[31], [1, 31])));

        Assert.Equal(InferenceErrorKind.InvalidArgument, error.Kind);
        Assert.Contains("'features'", error.Message, StringComparison.Ordinal);
        Assert.Contains("[1,31]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InferAsync_UnknownModelOrVersion_ThrowsNotFound()
    {
        await using var engine = await UsherEngine.OpenAsync(_repository.Path);
        var input = new InferenceInput("features", new float[30], [1, 30]);

        var model = await Assert.ThrowsAsync<UsherEngineException>(async () => await engine.InferAsync("frau", input));
        var version = await Assert.ThrowsAsync<UsherEngineException>(async () => await engine.InferAsync("fraud", [input], new InferOptions { Version = 9 }));

        Assert.Equal(InferenceErrorKind.NotFound, model.Kind);
        Assert.Equal(InferenceErrorKind.NotFound, version.Kind);
        Assert.Contains("versions: 1, 2", version.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Output_AsTheWrongElementType_SaysWhichTypeToUse()
    {
        await using var engine = await UsherEngine.OpenAsync(_repository.Path);
        using var result = await engine.InferAsync("fraud", new InferenceInput("features", new float[30], [1, 30]));

        var error = Assert.Throws<InvalidCastException>(() => result.Output<double>("probabilities").Length);

        Assert.Contains("FP32", error.Message, StringComparison.Ordinal);
        Assert.Contains("float", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InferAsync_ConcurrentCallers_AreBatchedTogetherAndEachGetsItsOwnRows()
    {
        // A long queue delay on a clock that never moves: the batcher runs when the batch is full.
        Directory.Move(Path.Combine(_repository.Path, "fraud"), Path.Combine(_repository.Path, "fraud-batched"));
        File.WriteAllText(Path.Combine(_repository.Path, "fraud-batched", "config.yaml"),
            "max_batch_size: 8\nversion_policy: { specific: { versions: [2] } }\ndynamic_batching: { max_queue_delay_microseconds: 60000000 }\n");
        var options = new UsherEngineOptions { Time = new FakeTimeProvider() };
        options.Repository.Path = _repository.Path;
        await using var engine = await UsherEngine.OpenAsync(options);
        var rows = Enumerable.Range(0, 8).Select(i => FraudRows.Make(1, seed: 100 + i)).ToList();

        var results = await Task.WhenAll(rows.Select(async row =>
            await engine.InferAsync("fraud-batched", new InferenceInput("features", row, [1, 30]))));

        // One execution of 8 rows: the batch-size histogram's le="8" bucket.
        var totals = Assert.Single(engine.Metrics.Totals, t => t.Model == "fraud-batched");
        var batches = new long[totals.BatchSize.Buckets];
        Assert.Equal(8, totals.BatchSize.Read(batches));
        Assert.Equal([0L, 0, 0, 1, 0, 0, 0, 0, 0, 0], batches);
        Assert.Equal(1, totals.Executions);
        for (var i = 0; i < rows.Count; i++)
        {
            FraudRows.AssertClose(FraudRows.Expected(2, rows[i]), results[i].Output<float>("probabilities"));
            results[i].Dispose();
        }
    }

    [Fact]
    public async Task OpenAsync_BrokenModel_FailsNamingTheModelAndWhy()
    {
        TestModels.WriteBroken(Path.Combine(_repository.Path, "broken", "1"));

        var error = await Assert.ThrowsAsync<UsherEngineException>(() => UsherEngine.OpenAsync(_repository.Path));

        Assert.Equal(InferenceErrorKind.Unavailable, error.Kind);
        Assert.Contains("model 'broken'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenAsync_WithModels_LoadsOnlyThose_AndABrokenModelBesideThemDoesNotMatter()
    {
        TestModels.WriteBroken(Path.Combine(_repository.Path, "broken", "1"));
        var options = new UsherEngineOptions { Repository = { Path = _repository.Path }, Models = ["fraud"] };

        var rows = FraudRows.Make(3);

        await using var engine = await UsherEngine.OpenAsync(options);
        using var result = await engine.InferAsync("fraud", new InferenceInput("features", rows, [3, 30]));

        Assert.Equal(["fraud"], engine.Models);
        FraudRows.AssertClose(FraudRows.Expected(2, rows), result.Output<float>("probabilities"));
    }

    [Fact]
    public async Task OpenAsync_WithModels_AnUnknownOrBrokenOne_FailsNamingIt()
    {
        TestModels.WriteBroken(Path.Combine(_repository.Path, "broken", "1"));

        var unknown = await Assert.ThrowsAsync<UsherEngineException>(() => UsherEngine.OpenAsync(new UsherEngineOptions { Repository = { Path = _repository.Path }, Models = ["fruad"] }));
        var broken = await Assert.ThrowsAsync<UsherEngineException>(() => UsherEngine.OpenAsync(new UsherEngineOptions { Repository = { Path = _repository.Path }, Models = ["broken"] }));
        var watched = await Assert.ThrowsAsync<ArgumentException>(() => UsherEngine.OpenAsync(new UsherEngineOptions { Repository = { Path = _repository.Path, PollSeconds = 5 }, Models = ["fraud"] }));

        Assert.Equal(InferenceErrorKind.NotFound, unknown.Kind);
        Assert.Contains("fruad", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("'broken'", broken.Message, StringComparison.Ordinal);
        Assert.Contains("PollSeconds", watched.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenAsync_MissingFolder_ThrowsWithTheFix()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => UsherEngine.OpenAsync(Path.Combine(_repository.Path, "nope")));

        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WatchedRepository_NewVersionAppears_ServesItAfterThePoll()
    {
        var time = new FakeTimeProvider();
        var options = new UsherEngineOptions { Time = time };
        options.Repository.Path = _repository.Path;
        options.Repository.PollSeconds = 5;
        await using var engine = await UsherEngine.OpenAsync(options);
        var polled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        engine.Polled += () => polled.TrySetResult();

        // Version 3 carries version 1's weights, so the answer tells which file served it.
        File.WriteAllBytes(_repository.Combine("fraud", "3", "model.onnx"), SampleModels.BuildFraud(1));
        time.Advance(TimeSpan.FromSeconds(5));
        await polled.Task.WaitAsync(TimeSpan.FromSeconds(60));

        var rows = FraudRows.Make(2, seed: 3);
        using var result = await engine.InferAsync("fraud", new InferenceInput("features", rows, [2, 30]));
        Assert.Equal([1L, 2L, 3L], engine.ReadyVersions("fraud"));
        Assert.Equal(3, result.ModelVersion);
        FraudRows.AssertClose(FraudRows.Expected(1, rows), result.Output<float>("probabilities"));
    }

    [Fact]
    public async Task Reload_BrokenNewVersion_TheLastGoodVersionKeepsServing()
    {
        await using var engine = await UsherEngine.OpenAsync(_repository.Path);
        TestModels.WriteBroken(Path.Combine(_repository.Path, "fraud", "3"));

        await engine.ReloadAsync();

        using var result = await engine.InferAsync("fraud", new InferenceInput("features", new float[30], [1, 30]));
        Assert.Equal(2, result.ModelVersion);
        Assert.Equal([1L, 2L], engine.ReadyVersions("fraud"));
    }
}

using Usher.Backends.Onnx;
using Usher.Backends.Onnx.Samples;
using Usher.Core.Inference;
using Usher.Core.Repository;
using Usher.Core.Tensors;
using Usher.Testing;
using Usher.Testing.Models;

namespace Usher.Core.Tests.Repository;

public sealed class ModelManagerTests : IDisposable
{
    private readonly TempDirectory _repo = new();

    public void Dispose() => _repo.Dispose();

    private ModelManager Create() => new(new OnnxBackend(), new RepositoryOptions { Path = _repo.Path, UnloadTimeoutSeconds = 5 });

    private void WriteFraud(int version, int weightsOf)
    {
        var path = _repo.Combine("fraud", version.ToString(System.Globalization.CultureInfo.InvariantCulture), "model.onnx");
        File.WriteAllBytes(path, SampleModels.BuildFraud(weightsOf));
        // A new write time even on file systems with coarse timestamps.
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddSeconds(version * 10 + weightsOf));
    }

    private static float Score(ModelVersion version, float[] row)
    {
        var result = version.InferAsync(
            new InferenceRequest
            {
                ModelName = "fraud",
                Inputs = [Tensor.FromSpan<float>("features", DataType.Fp32, [1, 30], row)],
            },
            CancellationToken.None).AsTask().GetAwaiter().GetResult();
        Assert.True(result.IsSuccess, result.Error?.Message);
        return result.Value.Outputs[0].AsSpan<float>()[1];
    }

    private static double Expected(int weightsOf, float[] row)
        => ReferenceMlp.Softmax(ReferenceMlp.Forward(SampleModels.FraudWeights(weightsOf), row))[1];

    private static readonly float[] Row = [.. Enumerable.Range(0, 30).Select(i => (float)Math.Sin(i))];

    [Fact]
    public async Task LoadAll_LoadsPerVersionPolicy_AndReportsAFailingModelWhileOthersServe()
    {
        WriteFraud(1, 1);
        WriteFraud(2, 2);
        WriteFraud(3, 1);
        File.WriteAllText(_repo.Combine("fraud", "config.yaml"), "version_policy: { latest: { num_versions: 2 } }\n");
        TestModels.WriteBroken(_repo.Combine("broken", "1"));
        File.WriteAllText(_repo.Combine("badconfig", "config.yaml"), "instances: many\n");
        TestModels.WriteFixedBatchModel(_repo.Combine("badconfig", "1"));
        await using var models = Create();

        await models.LoadAllAsync(CancellationToken.None);

        Assert.Equal([2L, 3L], models.Find("fraud")!.Versions.Select(v => v.Version));
        Assert.All(models.Find("fraud")!.Versions, v => Assert.Equal(ModelState.Ready, v.State));
        var broken = Assert.Single(models.Find("broken")!.Versions);
        Assert.Equal(ModelState.Unavailable, broken.State);
        Assert.Contains("model.onnx", broken.Reason, StringComparison.Ordinal);
        Assert.Contains("instances", models.Find("badconfig")!.Reason, StringComparison.Ordinal);
        Assert.False(models.IsReady);

        var lease = models.Acquire("fraud", null);
        Assert.Equal(3, lease.Value!.Version);
        Assert.Equal(Expected(1, Row), Score(lease.Value, Row), 5);
        lease.Value.Release();
        Assert.Equal(InferenceErrorKind.NotFound, models.Acquire("fraud", 1).Error!.Kind);
        Assert.Equal(InferenceErrorKind.Unavailable, models.Acquire("broken", null).Error!.Kind);
        Assert.Equal(InferenceErrorKind.NotFound, models.Acquire("nope", null).Error!.Kind);
    }

    [Fact]
    public async Task Reload_WithAChangedFile_SwapsInTheNewWeights_AndTheOldVersionFinishesItsRequest()
    {
        WriteFraud(1, 1);
        await using var models = Create();
        await models.LoadAllAsync(CancellationToken.None);
        var old = models.Acquire("fraud", 1).Value!;

        WriteFraud(1, 2);
        var reload = await models.LoadModelAsync("fraud", CancellationToken.None);

        Assert.True(reload.IsSuccess);
        var fresh = models.Acquire("fraud", 1).Value!;
        Assert.NotSame(old, fresh);
        Assert.Equal(Expected(2, Row), Score(fresh, Row), 5);
        fresh.Release();

        // The old version was swapped out but still answers the request that holds it.
        Assert.False(old.TryAcquire());
        Assert.Equal(Expected(1, Row), Score(old, Row), 5);
        old.Release();
    }

    [Fact]
    public async Task Reload_WithUnchangedFiles_KeepsTheLoadedVersion()
    {
        WriteFraud(1, 1);
        await using var models = Create();
        await models.LoadAllAsync(CancellationToken.None);
        var before = models.Find("fraud")!.Versions[0].Loaded;
        await models.LoadModelAsync("fraud", CancellationToken.None);
        Assert.Same(before, models.Find("fraud")!.Versions[0].Loaded);
    }

    [Fact]
    public async Task Reload_ThatFails_KeepsTheOldVersionServing()
    {
        WriteFraud(1, 1);
        await using var models = Create();
        await models.LoadAllAsync(CancellationToken.None);

        File.WriteAllBytes(_repo.Combine("fraud", "1", "model.onnx"), [1, 2, 3, 4]);
        var reload = await models.LoadModelAsync("fraud", CancellationToken.None);

        Assert.False(reload.IsSuccess);
        var slot = models.Find("fraud")!.Versions[0];
        Assert.Equal(ModelState.Ready, slot.State);
        Assert.Contains("reload failed", slot.Reason, StringComparison.Ordinal);
        var lease = models.Acquire("fraud", null).Value!;
        Assert.Equal(Expected(1, Row), Score(lease, Row), 5);
        lease.Release();
    }

    [Fact]
    public async Task Poll_LoadsANewVersionAndANewModel_AndUnloadsARemovedModel()
    {
        WriteFraud(1, 1);
        File.WriteAllText(_repo.Combine("fraud", "config.yaml"), "version_policy: { all: {} }\n");
        TestModels.WriteFixedBatchModel(_repo.Combine("fixed", "1"));
        await using var models = Create();
        await models.LoadAllAsync(CancellationToken.None);

        WriteFraud(2, 2);
        TestModels.WriteScalarModel(_repo.Combine("scalar", "1"));
        Directory.Delete(_repo.Combine("fixed"), recursive: true);
        await models.PollOnceAsync(CancellationToken.None);

        Assert.Equal([1L, 2L], models.Find("fraud")!.Versions.Select(v => v.Version));
        var newest = models.Acquire("fraud", null).Value!;
        Assert.Equal(2, newest.Version);
        Assert.Equal(Expected(2, Row), Score(newest, Row), 5);
        newest.Release();
        Assert.Equal(ModelState.Ready, models.Find("scalar")!.Versions[0].State);
        Assert.Null(models.Find("fixed"));
    }

    [Fact]
    public async Task Poll_DoesNotRetryABrokenModelUntilItChanges()
    {
        TestModels.WriteBroken(_repo.Combine("broken", "1"));
        await using var models = Create();
        await models.LoadAllAsync(CancellationToken.None);
        var before = models.Find("broken");

        await models.PollOnceAsync(CancellationToken.None);
        Assert.Same(before, models.Find("broken"));

        var path = TestModels.WriteFixedBatchModel(_repo.Combine("broken", "1"));
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));
        await models.PollOnceAsync(CancellationToken.None);
        Assert.Equal(ModelState.Ready, models.Find("broken")!.Versions[0].State);
    }

    [Fact]
    public async Task LoadAndUnload_OfManyUnknownNames_Answer404_AndKeepNoStatePerName()
    {
        WriteFraud(1, 1);
        await using var models = Create();
        await models.LoadAllAsync(CancellationToken.None);
        var locksBefore = models.LockCount;

        for (var i = 0; i < 2000; i++)
        {
            var load = await models.LoadModelAsync($"no-such-model-{i}", CancellationToken.None);
            var unload = await models.UnloadModelAsync($"no-such-unload-{i}", CancellationToken.None);
            Assert.Equal(InferenceErrorKind.NotFound, load.Error?.Kind);
            Assert.Equal(InferenceErrorKind.NotFound, unload.Error?.Kind);
        }

        var hidden = await models.LoadModelAsync(".usher", CancellationToken.None);

        Assert.Equal(1, locksBefore);
        Assert.Equal(locksBefore, models.LockCount);
        Assert.Equal(["fraud"], models.Models.Select(m => m.Name));
        Assert.Equal(InferenceErrorKind.NotFound, hidden.Error?.Kind);
        Assert.Contains("is not in the repository", (await models.LoadModelAsync("nope", CancellationToken.None)).Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unload_MakesTheModelUnavailable_AndDoesNotCountAgainstReadiness()
    {
        WriteFraud(1, 1);
        await using var models = Create();
        await models.LoadAllAsync(CancellationToken.None);
        Assert.True(models.IsReady);

        var result = await models.UnloadModelAsync("fraud", CancellationToken.None);

        Assert.True(result.IsSuccess);
        Assert.Equal(InferenceErrorKind.Unavailable, models.Acquire("fraud", null).Error!.Kind);
        Assert.True(models.IsReady);
        Assert.Contains(models.Index(), r => r.Name == "fraud" && r.State == ModelState.Unavailable && r.Reason == "unloaded");
    }

    [Fact]
    public async Task Unload_WithoutAMemoryBudget_TrimsTheNativeAllocator_OnceTheSessionIsReleased()
    {
        WriteFraud(1, 1);
        WriteFraud(2, 2);
        var backend = new FakeBackend();
        var memory = new FakeProcessMemory();
        var liveAtTrim = new List<int>();
        memory.OnTrim = () => liveAtTrim.Add(backend.Live);
        await using var models = new ModelManager(backend, new RepositoryOptions { Path = _repo.Path, UnloadTimeoutSeconds = 5 }, memory: memory);
        await models.LoadAllAsync(CancellationToken.None);
        Assert.Equal(1, backend.Live);
        Assert.Empty(liveAtTrim); // no budget: loads are not measured, so nothing trims before them

        var result = await models.UnloadModelAsync("fraud", CancellationToken.None);

        Assert.True(result.IsSuccess, result.Error?.Message);
        Assert.Equal([0], liveAtTrim); // one trim, after the version's session was released
        Assert.False(backend.LastContext!.ReturnsMemory); // the sessions keep ONNX Runtime's arena without a budget
    }

    [Fact]
    public async Task Index_ListsModelsOnDiskThatAreNotLoaded()
    {
        WriteFraud(1, 1);
        await using var models = Create();
        await models.LoadAllAsync(CancellationToken.None);
        TestModels.WriteFixedBatchModel(_repo.Combine("later", "1"));
        Assert.Contains(models.Index(), r => r.Name == "later" && r.State == ModelState.Unavailable && r.Reason == "not loaded");
    }

    [Fact]
    public async Task Dispose_WhileALoadRuns_WaitsForItsEnd_AndReleasesWhatItMade()
    {
        WriteFraud(1, 1);
        var backend = new UncancellableBackend(new OnnxBackend());
        var models = new ModelManager(backend, new RepositoryOptions { Path = _repo.Path, UnloadTimeoutSeconds = 5 });
        var loading = models.LoadAllAsync(CancellationToken.None);
        await backend.Started.WaitAsync(TimeSpan.FromSeconds(30));

        var disposing = models.DisposeAsync().AsTask();

        // The backend's load is still running (native code that cannot be stopped): disposal waits for it.
        Assert.False(disposing.IsCompleted);
        backend.Release();
        await disposing.WaitAsync(TimeSpan.FromSeconds(30));
        await Record.ExceptionAsync(() => loading); // cancelled or finished: either way it has ended
        Assert.Equal(1, backend.Created);
        Assert.Equal(backend.Created, backend.Disposed);
    }

    [Fact]
    public async Task Load_AfterDisposeBegan_IsRefusedAsUnavailable()
    {
        WriteFraud(1, 1);
        var models = Create();
        await models.LoadAllAsync(CancellationToken.None);
        await models.DisposeAsync();

        var load = await models.LoadModelAsync("fraud", CancellationToken.None);

        Assert.Equal(InferenceErrorKind.Unavailable, load.Error?.Kind);
        Assert.Contains("stopping", load.Error!.Message, StringComparison.Ordinal);
    }
}

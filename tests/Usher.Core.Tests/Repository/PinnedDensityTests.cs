using System.Globalization;
using Usher.Backends.Onnx;
using Usher.Backends.Onnx.Samples;
using Usher.Core.Inference;
using Usher.Core.Repository;
using Usher.Testing;

namespace Usher.Core.Tests.Repository;

/// <summary>
/// Versions pinned by a rollout under a memory budget, loaded by ONNX Runtime: they go through the
/// budget's admission like a first request's load, so pinning cannot take the budget over.
/// </summary>
public sealed class PinnedDensityTests : IDisposable
{
    private readonly TempDirectory _repo = new();

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task ThreeModelsPinnedAtStart_UnderABudgetForOne_OnlyOneLoads_AndTheOthersSayWhy()
    {
        long fileBytes = 0;
        for (var m = 0; m < 3; m++)
        {
            var path = _repo.Combine($"fraud{m}", "1", "model.onnx");
            await File.WriteAllBytesAsync(path, SampleModels.BuildFraud(m + 1)); // three different files: no footprint is shared
            fileBytes = new FileInfo(path).Length;
        }

        // A steady RSS: each load measures as its file (never counted below it). The first load counts
        // 1 file; a file never loaded is then held at 2 files (the factor): 1 + 2 > 2.5, and the first
        // one is pinned, so nothing can be evicted for the second.
        var budget = 5 * fileBytes / 2;
        var memory = new FakeProcessMemory { Resident = 50_000_000 };
        await using var models = new ModelManager(
            new OnnxBackend(),
            new RepositoryOptions { Path = _repo.Path, UnloadTimeoutSeconds = 5 },
            density: new DensitySettings(budget, TimeSpan.FromSeconds(60), SizeFactor: 2),
            memory: memory);
        for (var m = 0; m < 3; m++)
        {
            models.SetPins($"fraud{m}", new VersionPins([1], []) { Resident = [1] });
        }

        await models.LoadAllAsync(CancellationToken.None);

        var loaded = Assert.Single(models.Models, e => e.Versions[0].Loaded is not null);
        Assert.Equal("features", Assert.Single(loaded.Versions[0].Loaded!.Signature.Inputs).Name); // a real session
        Assert.Equal(fileBytes, loaded.Versions[0].Source!.EstimatedBytes);
        Assert.True(models.Density!.UsedBytes <= budget, $"{models.Density.UsedBytes.ToString(CultureInfo.InvariantCulture)} counted against a budget of {budget.ToString(CultureInfo.InvariantCulture)}");
        foreach (var waiting in models.Models.Where(e => e.Versions[0].Loaded is null))
        {
            Assert.True(waiting.Versions[0].OnDemand);
            Assert.Contains("pinned by a rollout", waiting.Versions[0].Reason, StringComparison.Ordinal);

            var again = await models.LoadModelAsync(waiting.Name, CancellationToken.None);

            Assert.Equal(InferenceErrorKind.Unavailable, again.Error!.Kind);
            Assert.Contains("version 1 is pinned by a rollout but did not load", again.Error.Message, StringComparison.Ordinal);
            Assert.Contains("every loaded version is busy or pinned", again.Error.Message, StringComparison.Ordinal);
        }

        // Unpinned, the loaded model becomes evictable: the next pinned load takes its place.
        models.SetPins(loaded.Name, VersionPins.None);
        var next = models.Models.First(e => e.Versions[0].Loaded is null).Name;
        var admitted = await models.LoadModelAsync(next, CancellationToken.None);

        Assert.True(admitted.IsSuccess, admitted.Error?.Message);
        Assert.NotNull(admitted.Value.Versions[0].Loaded);
        Assert.Null(models.Find(loaded.Name)!.Versions[0].Loaded);
    }
}

using Usher.Core.Repository;

namespace Usher.Core.Tests.Repository;

public sealed class VersionPinsTests
{
    [Fact]
    public void Apply_AddsRequiredVersionsOnDisk_RemovesExcluded_RequiredWins()
    {
        var pins = new VersionPins([1, 9], [2, 1]);

        Assert.Equal([1L, 3L], pins.Apply(policySelected: [2, 3], onDisk: [1, 2, 3]));
    }

    [Fact]
    public void None_LeavesThePolicyAlone() => Assert.Equal([3L], VersionPins.None.Apply([3], [1, 2, 3]));
}

public sealed class ModelManagerPinsTests : IDisposable
{
    private readonly Usher.Testing.TempDirectory _repo = new();

    public void Dispose() => _repo.Dispose();

    private void Write(int version)
        => File.WriteAllBytes(_repo.Combine("fraud", version.ToString(System.Globalization.CultureInfo.InvariantCulture), "model.onnx"), Usher.Backends.Onnx.Samples.SampleModels.BuildFraud(version));

    [Fact]
    public async Task Load_KeepsARequiredVersion_ThatThePolicyDropped_AndUnloadsAnExcludedOne()
    {
        Write(1);
        await using var models = new ModelManager(new Usher.Backends.Onnx.OnnxBackend(), new RepositoryOptions { Path = _repo.Path, UnloadTimeoutSeconds = 5 });
        await models.LoadAllAsync(CancellationToken.None);
        models.SetPins("fraud", new VersionPins([1], []));
        Write(2);

        await models.LoadModelAsync("fraud", CancellationToken.None);
        Assert.Equal([1L, 2L], models.Find("fraud")!.Versions.Select(v => v.Version));

        models.SetPins("fraud", new VersionPins([1], [2]));
        await models.LoadModelAsync("fraud", CancellationToken.None);
        Assert.Equal([1L], models.Find("fraud")!.Versions.Select(v => v.Version));
        Assert.Equal([2L], models.PinsOf("fraud").Excluded);
    }
}

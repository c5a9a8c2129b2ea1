using Usher.Testing;

namespace Usher.Cli.Tests;

/// <summary><c>usher samples generate</c> run as a real process.</summary>
public sealed class SamplesProcessTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Generate_NoLarge_WritesFraudByteIdenticalToTheCommittedSamples()
    {
        var output = Path.Combine(_temp.Path, "out");

        await using var usher = await UsherProcess.RunAsync(_temp.Path, ["samples", "generate", "--output", output, "--no-large"], TimeSpan.FromSeconds(60));

        Assert.Equal(0, await usher.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        foreach (var file in new[] { "fraud/1/model.onnx", "fraud/2/model.onnx", "fraud/config.yaml" })
        {
            var committed = await File.ReadAllBytesAsync(RepoRoot.Combine("samples", "models", file));
            var written = await File.ReadAllBytesAsync(Path.Combine(output, file));
            Assert.True(committed.AsSpan().SequenceEqual(written), $"{file}: {written.Length} bytes written differ from the {committed.Length} committed bytes");
        }

        Assert.False(Directory.Exists(Path.Combine(output, "mlp-large")), "--no-large still wrote mlp-large");
        Assert.False(Directory.Exists(Path.Combine(output, "wide-input")), "--no-large still wrote wide-input");
    }
}

using System.CommandLine;
using Usher.Backends.Onnx.Samples;

namespace Usher.Cli.Commands;

/// <summary><c>usher samples generate</c>: (re)writes the sample models deterministically.</summary>
internal static class SamplesCommand
{
    public static Command Create()
    {
        var output = new Option<DirectoryInfo?>("--output", "-o")
        {
            Description = "Repository folder to write into. Default: the bundled samples/models.",
            HelpName = "DIR",
        };
        var noLarge = new Option<bool>("--no-large")
        {
            Description = "Skip the benchmark models (mlp-large, ~12 MB; wide-input, 1 MB in per row).",
        };
        var generate = new Command("generate", "Write the sample models (fraud v1 and v2, mlp-large, wide-input) from fixed seeds; existing files are overwritten.")
        {
            output, noLarge,
        };
        generate.SetAction(parse =>
        {
            var dir = parse.GetValue(output)?.FullName ?? BundledSamples.Locate();
            if (dir is null)
            {
                Console.Error.WriteLine($"usher samples generate: no {BundledSamples.RelativePath} folder found here or above; pass --output DIR");
                return ExitCodes.BadSettings;
            }

            Directory.CreateDirectory(dir);
            SampleModels.Generate(dir, includeLarge: !parse.GetValue(noLarge), overwrite: true);
            Console.Out.WriteLine($"Wrote the sample models to {dir}");
            return ExitCodes.Success;
        });
        return new Command("samples", "Sample models for trying Usher out and for benchmarks.") { generate };
    }
}

using System.CommandLine;
using Usher.Backends.Onnx.Samples;

namespace Usher.Cli.Commands;

/// <summary><c>usher samples generate</c>: (re)writes the sample models deterministically.</summary>
internal static class SamplesCommand
{
    private const int MaxDatasetRows = 10_000_000;

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
        var dataset = new Option<FileInfo?>("--dataset")
        {
            Description = "Instead of the models, write the synthetic labelled fraud dataset (the data fraud-teacher learned from, fresh rows) as CSV, for usher optimize distill --data.",
            HelpName = "FILE.csv",
        };
        var rows = new Option<int>("--rows") { Description = "--dataset: rows to write.", HelpName = "N", DefaultValueFactory = _ => 20_000 };
        var seed = new Option<ulong>("--seed") { Description = "--dataset: the rows' seed (fraud-teacher was trained on seed 16).", HelpName = "S", DefaultValueFactory = _ => 2UL };
        var generate = new Command("generate", "Write the sample models (fraud v1 and v2; mlp-large, wide-input and fraud-teacher unless --no-large) from fixed seeds; existing files are overwritten.")
        {
            output, noLarge, dataset, rows, seed,
        };
        generate.SetAction(parse =>
        {
            if (parse.GetValue(dataset) is { } file)
            {
                return WriteDataset(file, parse.GetValue(rows), parse.GetValue(seed));
            }

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

    private static int WriteDataset(FileInfo file, int rows, ulong seed)
    {
        if (!file.Name.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || rows < 1 || rows > MaxDatasetRows)
        {
            Console.Error.WriteLine($"usher samples generate: --dataset expects a .csv file and --rows from 1 to {MaxDatasetRows:N0}; got {file.Name} and {rows}");
            return ExitCodes.BadSettings;
        }

        Directory.CreateDirectory(file.DirectoryName!);
        using (var writer = new StreamWriter(file.FullName, append: false, new System.Text.UTF8Encoding(false)))
        {
            FraudDataset.WriteCsv(writer, seed, rows);
        }

        Console.Out.WriteLine($"Wrote {rows} rows (seed {seed}) to {file.FullName}: columns features_0 ... features_{FraudDataset.Features - 1}, label");
        return ExitCodes.Success;
    }
}

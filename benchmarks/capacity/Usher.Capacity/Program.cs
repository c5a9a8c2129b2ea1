using System.Globalization;
using System.Text;
using Usher.Capacity.Density;
using Usher.Capacity.Hpa;
using Usher.Capacity.Profile;
using Usher.Capacity.Queueing;
using Usher.Capacity.Reports;
using Usher.Capacity.Simulation;
using Usher.Capacity.Traffic;

namespace Usher.Capacity;

/// <summary>
/// <c>simulate</c>: a day of traffic against CPU- and queue-depth-based HPAs side by side;
/// <c>ramp</c>: one fixed fleet under a stepped ramp, step by step (the check against a measured run);
/// <c>density</c>: the paper calculation for many models on few replicas with a memory budget.
/// docs/capacity.md describes every argument.
/// </summary>
internal static class Program
{
    private const string Usage = """
        usage:
          Usher.Capacity simulate --profile profile.json [--point ID|default|recommended] [--traffic day|FILE.csv]
              [--peak-rps R] [--spike-hour H] [--slo-ms MS] [--startup-seconds S] [--min-replicas N] [--max-replicas N]
              [--cpu-target 0.7] [--queue-target Q] [--in-flight-target F] [--service deterministic|exponential] [--throughput-factor F] [--output DIR]
          Usher.Capacity ramp --profile profile.json --traffic ramp.csv [--replicas N] [--point ID] [--service ...] [--throughput-factor F] [--max-queue 1024]
          Usher.Capacity density [--models 1000] [--replicas 100] [--model-mib M] [--base-mib B] [--budget-mib MiB]
              [--zipf S] [--rps R] [--cold-start-ms MS] [--copies N]
        """;

    private static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        return args[0] switch
        {
            "simulate" => Simulate(args[1..]),
            "ramp" => Ramp(args[1..]),
            "density" => DensityCommand(args[1..]),
            _ => Refuse([$"unknown command '{args[0]}'; expected simulate, ramp or density"]),
        };
    }

    private static int Simulate(string[] args)
    {
        var a = new Arguments(args, ["--profile", "--point", "--traffic", "--peak-rps", "--spike-hour", "--slo-ms", "--startup-seconds",
            "--min-replicas", "--max-replicas", "--cpu-target", "--queue-target", "--in-flight-target", "--service", "--throughput-factor", "--output"]);
        var profile = ReadProfile(a);
        var service = ReadService(a);
        var factor = a.Number("--throughput-factor", 1);
        if (profile is null || a.Problems.Count > 0)
        {
            return Refuse(a.Problems);
        }

        var queue = profile.Queue(service, factor);
        var slo = a.Number("--slo-ms", profile.SloP99Ms ?? 50);
        var planned = queue.Capacity * 0.7;
        var traffic = ReadTraffic(a, () => TrafficCurve.Diurnal(a.Number("--peak-rps", planned * 10), a.Number("--spike-hour", 11, 0)));

        // A quarter of the SLO spent waiting: the queue a replica drains in SLO / 4 at capacity.
        var queueTarget = a.Number("--queue-target", Math.Max(1, Math.Round(queue.Capacity * slo / 1000 / 4)));
        var min = a.Integer("--min-replicas", 2);
        var max = a.Integer("--max-replicas", 100);
        var startup = a.Integer("--startup-seconds", 60, 0);
        var cpu = new HpaSpec(min, max, a.Number("--cpu-target", 0.7), HpaSpec.DefaultTolerance, ScalingRules.DefaultScaleUp, ScalingRules.DefaultScaleDown, StartingPods.Ignored);
        var depth = cpu with { Target = queueTarget, Starting = StartingPods.AtTarget };

        // In flight at the CPU target's utilisation: busy servers plus the queue at that load.
        var inFlightTarget = a.Number("--in-flight-target",
            Math.Round((cpu.Target * queue.Servers) + queue.MeanQueueLength(cpu.Target * queue.Capacity), 1));
        var inFlight = depth with { Target = inFlightTarget };
        var problems = a.Problems.Concat(cpu.Validate()).Concat(depth.Validate()).Concat(inFlight.Validate()).ToList();
        if (traffic is null || problems.Count > 0)
        {
            return Refuse(problems);
        }

        var initial = Math.Clamp((int)Math.Ceiling(traffic.RateAt(0) / planned), min, max);
        SimulationResult Run(string name, ScalingMode mode, HpaSpec spec) =>
            Simulator.Run(new SimulationSettings(name, queue, traffic, mode, spec, initial, startup, slo));
        var runs = new[]
        {
            Run($"CPU {ReportText.F(cpu.Target * 100, "0")}%", ScalingMode.Cpu, cpu),
            Run($"queue {ReportText.F(depth.Target, "0.#")}/pod", ScalingMode.QueueDepth, depth),
            Run($"in flight {ReportText.F(inFlight.Target, "0.#")}/pod", ScalingMode.InFlight, inFlight),
            Run($"queue {ReportText.F(depth.Target, "0.#")}/pod + CPU {ReportText.F(cpu.Target * 100, "0")}%", ScalingMode.QueueDepthAndCpu, depth with { CpuTarget = cpu.Target }),
        };

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"profile: {profile.Model} point {profile.Point}: {ReportText.F(profile.ThroughputRps, "0")} req/s measured x {ReportText.F(factor, "0.##")} "
            + $"= {ReportText.F(queue.Capacity, "0")} req/s per replica as {queue.Servers} server(s) of {ReportText.F(queue.ServiceSeconds * 1000, "0.###")} ms ({service}); "
            + $"{ReportText.F(traffic.DurationSeconds / 3600.0, "0.##")} h, peak {ReportText.F(traffic.Peak, "0")} req/s; pod start-up {startup} s; "
            + $"replicas {min}-{max}; SLO p99 {ReportText.F(slo, "0.#")} ms");
        text.AppendLine();
        text.Append(ReportText.Summary(runs, slo));
        text.AppendLine();
        text.Append(ReportText.Hourly(runs));
        Console.Write(text.ToString());
        if (a.Text("--output") is { } output)
        {
            Directory.CreateDirectory(output);
            File.WriteAllText(Path.Combine(output, "summary.md"), text.ToString());
            File.WriteAllText(Path.Combine(output, "minutes.csv"), CsvReport.Minutes(runs));
            PlotWriter.Write(Path.Combine(output, "capacity.png"), runs, slo);
            Console.Error.WriteLine($"wrote {Path.Combine(output, "capacity.png")}, minutes.csv and summary.md");
        }

        return 0;
    }

    private static int Ramp(string[] args)
    {
        var a = new Arguments(args, ["--profile", "--point", "--traffic", "--replicas", "--service", "--throughput-factor", "--max-queue"]);
        var profile = ReadProfile(a);
        var service = ReadService(a);
        var factor = a.Number("--throughput-factor", 1);
        var replicas = a.Integer("--replicas", 1);
        var maxQueue = a.Number("--max-queue", 1024);
        if (a.Text("--traffic") is null)
        {
            a.Problems.Add("--traffic: the ramp's CSV (seconds,rps) is required");
        }

        var traffic = ReadTraffic(a, () => null);
        if (profile is null || traffic is null || a.Problems.Count > 0)
        {
            return Refuse(a.Problems);
        }

        var queue = profile.Queue(service, factor);
        var result = Simulator.Run(new SimulationSettings("ramp", queue, traffic, ScalingMode.Fixed, null, replicas, 0, profile.SloP99Ms ?? 50,
            maxQueue));
        Console.WriteLine("step\tseconds\trps\tqueue\tutilization\tp99_ms");
        var start = 0;
        for (var i = 0; i < traffic.Steps.Count; i++)
        {
            var w = result.Window(start, traffic.Steps[i].Seconds);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{i + 1}\t{w.Seconds}\t{w.Rps:0.###}\t{w.QueuePerPod:0.###}\t{w.Utilization:0.###}\t{w.P99Ms:0.###}"));
            start += w.Seconds;
        }

        return 0;
    }

    private static int DensityCommand(string[] args)
    {
        var a = new Arguments(args, ["--models", "--replicas", "--model-mib", "--base-mib", "--budget-mib", "--zipf", "--rps", "--cold-start-ms", "--copies"]);
        var settings = new DensitySettings(
            a.Integer("--models", 1000),
            a.Integer("--replicas", 100),
            a.Number("--model-mib", 40),
            a.Number("--base-mib", 150, 0),
            a.Number("--budget-mib", 2048),
            a.Number("--zipf", 1, 0),
            a.Number("--rps", 20000),
            a.Number("--cold-start-ms", 300, 0),
            a.Integer("--copies", 2));
        if (a.Problems.Count > 0)
        {
            return Refuse(a.Problems);
        }

        Console.Write(DensityPlan.Describe(settings));
        return 0;
    }

    private static ReplicaProfile? ReadProfile(Arguments a)
    {
        if (a.Text("--profile") is not { } path)
        {
            a.Problems.Add("--profile: the JSON of 'usher profile MODEL --output json' is required");
            return null;
        }

        if (!File.Exists(path))
        {
            a.Problems.Add($"--profile: {Path.GetFullPath(path)} does not exist");
            return null;
        }

        return ProfileReader.Read(File.ReadAllText(path), a.Text("--point"), a.Problems);
    }

    private static ServiceTimes ReadService(Arguments a)
    {
        switch (a.Text("--service"))
        {
            case null or "deterministic":
                return ServiceTimes.Deterministic;
            case "exponential":
                return ServiceTimes.Exponential;
            case var other:
                a.Problems.Add($"--service: expected deterministic or exponential, got '{other}'");
                return ServiceTimes.Deterministic;
        }
    }

    private static TrafficCurve? ReadTraffic(Arguments a, Func<TrafficCurve?> builtIn)
    {
        var traffic = a.Text("--traffic");
        if (traffic is null or "day")
        {
            return builtIn();
        }

        if (!File.Exists(traffic))
        {
            a.Problems.Add($"--traffic: {Path.GetFullPath(traffic)} does not exist (give 'day' or a CSV of seconds,rps rows)");
            return null;
        }

        return TrafficCurve.FromCsv(File.ReadAllText(traffic), a.Problems);
    }

    private static int Refuse(IReadOnlyList<string> problems)
    {
        foreach (var problem in problems)
        {
            Console.Error.WriteLine($"Usher.Capacity: {problem}");
        }

        Console.Error.WriteLine(Usage);
        return 2;
    }
}

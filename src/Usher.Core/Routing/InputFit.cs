using Usher.Core.Inference;
using Usher.Core.Models;
using Usher.Core.Telemetry;
using Usher.Core.Tensors;

namespace Usher.Core.Routing;

/// <summary>
/// Feature-availability routing for one route table whose variants declare different inputs (say
/// <c>fraud:3</c> needs <c>features</c> and <c>device_history</c>, <c>fraud:2</c> only <c>features</c>).
/// Built when the table is published or one of its versions loads (<see cref="EndpointRoutes"/>),
/// never per request; a table whose variants all declare the same input names has none, and its
/// requests pay nothing for the rule. Every declared input is required: a signature marks none optional.
/// </summary>
/// <remarks>
/// The rule, a pure function of the routing bucket, the table and the names of the request's inputs:
/// a variant <em>fits</em> a request when it has weight and the request carries every input it declares.
/// When the variant the bucket picks (<see cref="RouteTable.PickIndex"/>) fits, it serves. Otherwise
/// the bucket's position <c>u</c> within that variant's range, in [0, 1), is laid over the fitting
/// variants' weights in table order, and the variant whose share holds <c>u</c> serves; the hashed
/// variant's traffic is so split among the fitting ones in proportion to their weights, and each
/// fitting variant's share of such requests stays proportional to its weight. The same key, table and
/// input names land on the same variant on every replica. The variant chosen receives only the inputs
/// it declares.
/// </remarks>
internal sealed class InputFit
{
    /// <summary>The <c>reason</c> label of a fallback for inputs the hashed variant needs and the request lacks.</summary>
    public const string MissingInputs = "missing_inputs";

    private readonly string _endpoint;
    private readonly IReadOnlyList<RouteVariant> _variants;
    private readonly IReadOnlyList<BucketRange> _ranges;
    private readonly Dictionary<string, int> _names;
    private readonly string[] _allNames;

    // By variant: the indices (in _allNames) of the inputs it declares, and the same as a bit set.
    private readonly int[][] _declared;
    private readonly ulong[][] _declaredBits;

    // [from * n + to]: resolved when built, so that a fallback counts without a lookup (null: not counted).
    private readonly FallbackTotal?[]? _fallbacks;

    private InputFit(RouteTable table, IReadOnlyList<ModelSignature> signatures, UsherMetrics? metrics)
    {
        _endpoint = table.Endpoint;
        _variants = table.Variants;
        _ranges = table.Ranges;
        _names = new Dictionary<string, int>(StringComparer.Ordinal);
        var order = new List<string>();
        _declared = new int[signatures.Count][];
        foreach (var (signature, v) in signatures.Select((s, v) => (s, v)))
        {
            _declared[v] = [.. signature.Inputs.Select(i => _names.TryGetValue(i.Name, out var k) ? k : Add(i.Name))];
        }

        _allNames = [.. order];
        var words = (_allNames.Length + 63) / 64;
        _declaredBits = [.. _declared.Select(indices => Bits(indices, words))];
        var n = _variants.Count;
        _fallbacks = metrics is null
            ? null
            : [.. Enumerable.Range(0, n * n).Select(i => i / n == i % n ? null : metrics.FallbackOf(_endpoint, _variants[i / n].Name, _variants[i % n].Name, MissingInputs))];

        int Add(string name)
        {
            _names[name] = order.Count;
            order.Add(name);
            return order.Count - 1;
        }
    }

    /// <summary>
    /// The fit of <paramref name="table"/> whose variants' versions have <paramref name="signatures"/>
    /// (in the table's order); null when the rule cannot apply: every variant declares the same input
    /// names, or a variant's signature is not known yet (its version not loaded).
    /// </summary>
    public static InputFit? For(RouteTable table, IReadOnlyList<ModelSignature?> signatures, UsherMetrics? metrics)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(signatures);
        if (signatures.Count != table.Variants.Count || signatures.Any(s => s is null))
        {
            return null;
        }

        var first = signatures[0]!.Inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        return signatures.All(s => first.SetEquals(s!.Inputs.Select(i => i.Name)))
            ? null
            : new InputFit(table, [.. signatures.Select(s => s!)], metrics);
    }

    /// <summary>The input names every variant declares between them, in the order first declared.</summary>
    public IReadOnlyList<string> InputNames => _allNames;

    /// <summary>
    /// The variant that serves <paramref name="request"/>, whose bucket <paramref name="bucket"/> picked the
    /// variant at <paramref name="hashed"/>, and the request as that variant receives it (only the inputs it
    /// declares); a fallback from <paramref name="hashed"/> is counted. Fails naming an input no variant
    /// declares, or, when no variant fits, what each variant lacks.
    /// </summary>
    public InferenceResult<(int Index, InferenceRequest Request)> Route(int hashed, double bucket, InferenceRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        // Loops by index: an enumerator of the input list would be an allocation per request.
        Span<ulong> carried = stackalloc ulong[(_allNames.Length + 63) / 64];
        var inputs = request.Inputs;
        for (var i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i];
            if (!_names.TryGetValue(input.Name, out var k))
            {
                return InferenceError.Invalid($"unknown input '{input.Name}'; the variants of endpoint '{_endpoint}' declare the inputs: {string.Join(", ", _allNames.Select(n => $"'{n}'"))}");
            }

            carried[k >> 6] |= 1UL << (k & 63);
        }

        var chosen = Fits(hashed, carried) ? hashed : Fallback(hashed, bucket, carried);
        if (chosen < 0)
        {
            return InferenceError.Invalid(NoFit(carried));
        }

        if (chosen != hashed)
        {
            _fallbacks?[(hashed * _variants.Count) + chosen]?.Add();
        }

        return InferenceResult<(int, InferenceRequest)>.Success((chosen, Strip(chosen, request)));
    }

    private bool Fits(int variant, ReadOnlySpan<ulong> carried)
    {
        if (_variants[variant].Weight <= 0)
        {
            return false;
        }

        var declared = _declaredBits[variant];
        for (var w = 0; w < declared.Length; w++)
        {
            if ((declared[w] & ~carried[w]) != 0)
            {
                return false;
            }
        }

        return true;
    }

    // The bucket's place within the hashed variant's range, laid over the fitting variants' weights.
    private int Fallback(int hashed, double bucket, ReadOnlySpan<ulong> carried)
    {
        var total = 0.0;
        var last = -1;
        for (var i = 0; i < _variants.Count; i++)
        {
            if (Fits(i, carried))
            {
                total += _variants[i].Weight;
                last = i;
            }
        }

        if (last < 0)
        {
            return -1;
        }

        var range = _ranges[hashed];
        var width = range.End - range.Start;
        var u = width > 0 ? Math.Clamp((bucket - range.Start) / width, 0, 1) : 0;
        var target = u * total;
        var cumulative = 0.0;
        for (var i = 0; i < _variants.Count; i++)
        {
            if (Fits(i, carried))
            {
                cumulative += _variants[i].Weight;
                if (target < cumulative)
                {
                    return i;
                }
            }
        }

        return last;
    }

    private InferenceRequest Strip(int variant, InferenceRequest request)
    {
        var declared = _declaredBits[variant];
        var carried = request.Inputs;
        var kept = 0;
        for (var i = 0; i < carried.Count; i++)
        {
            kept += Has(declared, _names[carried[i].Name]) ? 1 : 0;
        }

        if (kept == carried.Count)
        {
            return request;
        }

        var inputs = new Tensor[kept];
        kept = 0;
        for (var i = 0; i < carried.Count; i++)
        {
            if (Has(declared, _names[carried[i].Name]))
            {
                inputs[kept++] = carried[i];
            }
        }

        return new InferenceRequest { ModelName = request.ModelName, Id = request.Id, Parameters = request.Parameters, Inputs = inputs, Outputs = request.Outputs };
    }

    private string NoFit(ReadOnlySpan<ulong> carried)
    {
        var lacks = new List<string>();
        for (var v = 0; v < _variants.Count; v++)
        {
            if (_variants[v].Weight <= 0)
            {
                continue;
            }

            var missing = new List<string>();
            foreach (var k in _declared[v])
            {
                if (!Has(carried, k))
                {
                    missing.Add($"'{_allNames[k]}'");
                }
            }

            lacks.Add($"{_variants[v].Name} needs {string.Join(", ", missing)}");
        }

        return $"no variant of endpoint '{_endpoint}' can serve this request: {string.Join("; ", lacks)}";
    }

    private static bool Has(ReadOnlySpan<ulong> bits, int k) => (bits[k >> 6] & (1UL << (k & 63))) != 0;

    private static ulong[] Bits(int[] indices, int words)
    {
        var bits = new ulong[words];
        foreach (var k in indices)
        {
            bits[k >> 6] |= 1UL << (k & 63);
        }

        return bits;
    }
}

using System.Text.Json;

namespace Usher.ControlPlane.Deployments;

/// <summary>Reads a spec's <c>blue_green</c> section: the rollback window and the validation by agreement.</summary>
internal static class BlueGreenSectionReader
{
    public const string Key = "blue_green";

    private static readonly string[] Keys = ["rollback_window", "validation"];
    private static readonly string[] ValidationKeys = ["agreement"];
    private static readonly string[] AgreementKeys = ["samples", "tolerance", "min_agreement", "outputs"];

    public static BlueGreenSpec Read(JsonElement root, SpecReader reader)
    {
        var spec = BlueGreenSpec.Default;
        if (!reader.Section(root, Key, Keys, out var section))
        {
            return spec;
        }

        var window = reader.Duration(section, Key, "rollback_window") ?? spec.RollbackWindow;
        var agreement = spec.Agreement;
        if (section.TryGetProperty("validation", out var validation))
        {
            const string path = "blue_green.validation";
            if (validation.ValueKind == JsonValueKind.Null)
            {
                agreement = null;
            }
            else if (validation.ValueKind != JsonValueKind.Object)
            {
                reader.Add(path, "expected a mapping (e.g. 'agreement: {samples: 50}') or null to skip validation");
            }
            else
            {
                reader.CheckKeys(validation, path, ValidationKeys);
                if (validation.TryGetProperty("agreement", out var a))
                {
                    agreement = Agreement(a, reader);
                }
            }
        }

        return new BlueGreenSpec(window, agreement);
    }

    private static AgreementSpec? Agreement(JsonElement a, SpecReader reader)
    {
        const string path = "blue_green.validation.agreement";
        if (a.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (a.ValueKind != JsonValueKind.Object)
        {
            reader.Add(path, "expected a mapping with samples, tolerance, min_agreement");
            return null;
        }

        reader.CheckKeys(a, path, AgreementKeys);
        var defaults = new AgreementSpec();
        return new AgreementSpec(
            (int)Math.Min(int.MaxValue, reader.Integer(a, path, "samples", 1) ?? defaults.Samples),
            reader.Number(a, path, "tolerance", 0, double.MaxValue) ?? defaults.Tolerance,
            reader.Number(a, path, "min_agreement", 0, 1) ?? defaults.MinAgreement,
            reader.Names(a, path, "outputs"));
    }
}

using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Kubernetes.Manifests;

/// <summary>
/// Loads one source text: full-width space check, YAML parse, strict decode, defaulting and
/// validation, with every problem located by line. See <see cref="ManifestReader"/>.
/// </summary>
internal sealed class ManifestTextLoader(string source, IObjectValidator validator)
{
    private static readonly string[] DocumentKinds = [.. ObjectDecoder.Kinds, ManifestList.Kind];

    private readonly List<LoadedObject> _objects = [];
    private readonly List<ManifestError> _errors = [];
    private readonly List<SourceMap> _maps = [];

    public (IReadOnlyList<LoadedObject> Objects, IReadOnlyList<ManifestError> Errors) Load(string text)
    {
        var (repaired, fullWidthSpaces) = FullWidthSpaces.Scan(text);
        var (documents, syntaxError) = YamlTreeReader.Read(repaired);

        foreach (var document in documents)
        {
            LoadDocument(document);
        }

        foreach (var space in fullWidthSpaces)
        {
            AddFullWidthSpaceError(space, documents);
        }

        if (syntaxError is not null)
        {
            AddSyntaxError(syntaxError, text);
        }

        var errors = _errors
            .OrderBy(e => e.DocumentIndex)
            .ThenBy(e => e.Line)
            .ThenBy(e => e.Kind is ManifestErrorKind.Syntax or ManifestErrorKind.FullWidthSpace ? 0 : 1)
            .ToArray();
        return (_objects, errors);
    }

    private void LoadDocument(YamlDocument document)
    {
        if (document.Root is null)
        {
            return; // an empty document (a stray "---", only comments) holds no object, as for kubectl
        }

        var context = new DecodeContext();
        context.Mark(string.Empty, document.Root);
        if (document.Root is not YamlMapping root)
        {
            AddError(document.Index, null, document.Root.Line, document.Root.Column, null,
                "a manifest must be an object with apiVersion and kind", ManifestErrorKind.Schema);
            return;
        }

        var kind = ObjectDecoder.ReadKind(context, root, DocumentKinds);
        if (kind == ManifestList.Kind)
        {
            LoadList(document.Index, root, context);
        }
        else if (kind is not null)
        {
            LoadObject(document.Index, null, root, kind, context);
        }
        else
        {
            AddDecodeErrors(document.Index, null, context);
        }
    }

    private void LoadList(int documentIndex, YamlMapping root, DecodeContext listContext)
    {
        var items = ManifestList.Items(root, listContext);
        for (var i = 0; i < items.Count; i++)
        {
            LoadListItem(documentIndex, i, items[i]);
        }

        AddDecodeErrors(documentIndex, null, listContext);
    }

    private void LoadListItem(int documentIndex, int itemIndex, YamlNode item)
    {
        var context = new DecodeContext();
        context.Mark(string.Empty, item);
        if (item is not YamlMapping root)
        {
            AddError(documentIndex, itemIndex, item.Line, item.Column, null,
                "a List item must be an object with apiVersion and kind", ManifestErrorKind.Schema);
            return;
        }

        var kind = ObjectDecoder.ReadKind(context, root, ObjectDecoder.Kinds);
        if (kind is null)
        {
            AddDecodeErrors(documentIndex, itemIndex, context);
            return;
        }

        LoadObject(documentIndex, itemIndex, root, kind, context);
    }

    private void LoadObject(int documentIndex, int? itemIndex, YamlMapping root, string kind, DecodeContext context)
    {
        var decoded = new ObjectDecoder(context).Decode(root, kind);
        var map = new SourceMap(source, documentIndex, itemIndex, context.Locations);
        _maps.Add(map);
        AddDecodeErrors(documentIndex, itemIndex, context);

        var defaulted = validator.ApplyDefaults(decoded);
        var validationErrors = validator.Validate(defaulted);
        var loaded = new LoadedObject(defaulted, map);

        // A field that failed to decode was read as absent; do not report it a second time as missing.
        var undecodable = context.Errors.Select(e => e.Error.Field).ToArray();
        foreach (var error in validationErrors)
        {
            if (!undecodable.Any(field => IsSameOrInside(error.Field, field)))
            {
                _errors.Add(loaded.Locate(error));
            }
        }

        if (context.Errors.Count == 0 && validationErrors.Count == 0)
        {
            _objects.Add(loaded);
        }
    }

    private void AddDecodeErrors(int documentIndex, int? itemIndex, DecodeContext context)
    {
        foreach (var (error, location) in context.Errors)
        {
            _errors.Add(new ManifestError
            {
                Source = source,
                DocumentIndex = documentIndex,
                ItemIndex = itemIndex,
                Line = location.Line,
                Column = location.Column,
                Field = error.Field,
                Message = error.Message,
                Kind = ManifestErrorKind.Schema,
                FieldError = error,
            });
        }
    }

    private void AddFullWidthSpaceError(FullWidthSpace space, List<YamlDocument> documents)
    {
        // Name the field written on that line (the deepest one, e.g. spec.ports[0].port rather than spec.ports[0]).
        var field = _maps
            .SelectMany(map => map.Locations.Where(l => l.Value.Line == space.Line).Select(l => (Map: map, Path: l.Key)))
            .Where(x => x.Path.Length > 0)
            .OrderByDescending(x => x.Path.Length)
            .FirstOrDefault();
        var documentIndex = field.Map?.DocumentIndex ?? documents.LastOrDefault(d => d.Line <= space.Line)?.Index ?? 0;
        AddError(documentIndex, field.Map?.ItemIndex, space.Line, space.Column, field.Path, space.Message, ManifestErrorKind.FullWidthSpace);
    }

    private void AddSyntaxError(YamlSyntaxError error, string originalText)
    {
        var message = error.Message;
        var lines = originalText.Split('\n');
        var nearby = lines.Skip(Math.Max(0, error.Line - 2)).Take(error.Line >= 2 ? 2 : 1);
        if (nearby.Any(line => line.Contains(FullWidthSpaces.Ideographic)))
        {
            message += " (near a full-width space (U+3000): YAML needs ASCII spaces, and comments need an ASCII space before '#')";
        }

        AddError(error.DocumentIndex, null, error.Line, error.Column, error.Field, message, ManifestErrorKind.Syntax);
    }

    private void AddError(int documentIndex, int? itemIndex, int line, int column, string? field, string message, ManifestErrorKind kind) =>
        _errors.Add(new ManifestError
        {
            Source = source,
            DocumentIndex = documentIndex,
            ItemIndex = itemIndex,
            Line = line,
            Column = column,
            Field = field,
            Message = message,
            Kind = kind,
        });

    private static bool IsSameOrInside(string field, string ancestor) =>
        field == ancestor
        || (field.StartsWith(ancestor, StringComparison.Ordinal) && field.Length > ancestor.Length && field[ancestor.Length] is '.' or '[');
}

from django import template

register = template.Library()


@register.filter
def clock(seconds):
    """12.3 → "0:12", 3723 → "1:02:03"; empty for unknown."""
    if seconds is None or seconds == "":
        return ""
    total_s = int(float(seconds))
    hours, rest_s = divmod(total_s, 3600)
    minutes, secs = divmod(rest_s, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


@register.filter
def seconds_attr(seconds):
    """Seconds for a data- attribute: a dot as decimal separator, whatever the locale."""
    return f"{float(seconds):.3f}"

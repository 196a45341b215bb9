from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from commissioner.roles import ADMIN, READERS, SECRETARIAT, role_required
from forces.forms import ForceContactForm
from forces.models import Force
from forces.selectors import current_head, forces_with_heads
from forces.services import force_update_contact, head_of_force_appoint
from letters.models import Letter
from letters.selectors.tracker import letters_with_state


@role_required(*READERS)
def force_list(request):
    return render(request, "forces/force_list.html", {"forces": forces_with_heads()})


@role_required(*READERS)
def force_detail(request, code):
    force = get_object_or_404(Force, code=code)
    letters = (
        letters_with_state(Letter.objects.filter(force=force))
        .prefetch_related("replies__documents")
        .order_by("-issued_on")
    )
    return render(
        request,
        "forces/force_detail.html",
        {"force": force, "head": current_head(force), "letters": letters},
    )


@role_required(SECRETARIAT, ADMIN)
@require_http_methods(["GET", "POST"])
def force_edit(request, code):
    force = get_object_or_404(Force, code=code)
    head = current_head(force)
    form = ForceContactForm(
        request.POST or None,
        initial={"email": force.email, "address": force.address, "head_name": head.name},
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            force_update_contact(
                force=force, email=form.cleaned_data["email"], address=form.cleaned_data["address"]
            )
            head_of_force_appoint(force=force, name=form.cleaned_data["head_name"])
        messages.success(request, f"{force} updated.")
        return redirect("forces:force_detail", code=code)
    return render(request, "forces/force_edit.html", {"force": force, "form": form})

import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"

/**
 * The order a payment belongs to (through its payment collection's link), or null for a
 * payment of no order: `payment.refunded` names only the payment.
 */
export async function orderOfPayment(container: MedusaContainer, paymentId: string): Promise<string | null> {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({
    entity: "payment",
    fields: ["id", "payment_collection.order.id"],
    filters: { id: paymentId },
  })
  return ((data[0] as any)?.payment_collection?.order?.id as string | undefined) ?? null
}
